"""Events between areas (cosmicpython's message bus, synchronous).

An area announces what happened with `publish(SomethingHappened(...))`; `create_app` subscribes
the handlers (`app.py`, `register_events`). Handlers run at once, inside the publisher's
transaction, so the use case and its consequences commit together or not at all. The handler
table lives on the app, not in a module, so importing a module never changes what happens.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

from flask import Flask, current_app

EXTENSION = "alliancemark.events"


@dataclass(frozen=True)
class Event:
    """Something that happened in one area that others may act on."""


Handler = Callable[[Event], None]


class EventBus:
    def __init__(self) -> None:
        self._handlers: dict[type[Event], list[Handler]] = defaultdict(list)

    def subscribe(self, event_type: type[Event], handler: Handler) -> None:
        if handler not in self._handlers[event_type]:
            self._handlers[event_type].append(handler)

    def unsubscribe(self, event_type: type[Event], handler: Handler) -> None:
        if handler in self._handlers.get(event_type, ()):
            self._handlers[event_type].remove(handler)

    def handlers(self, event_type: type[Event]) -> tuple[Handler, ...]:
        return tuple(self._handlers.get(event_type, ()))

    def publish(self, event: Event) -> None:
        handlers = self.handlers(type(event))
        if not handlers:
            # Every event has a subscriber in a built app; none means the wiring is broken, and
            # silently skipping, say, the exit rules after a verification would be far worse.
            raise RuntimeError(f"no handler subscribed for {type(event).__name__}")
        for handler in handlers:
            handler(event)


def install(app: Flask, subscriptions: dict[type[Event], list[Handler]]) -> EventBus:
    """Give the app its bus with these subscriptions."""
    bus = EventBus()
    for event_type, handlers in subscriptions.items():
        for handler in handlers:
            bus.subscribe(event_type, handler)
    app.extensions[EXTENSION] = bus
    return bus


def bus() -> EventBus:
    return current_app.extensions[EXTENSION]


def publish(event: Event) -> None:
    """Announce `event` to the handlers the app factory subscribed."""
    bus().publish(event)
