"""One check for every uploaded image (mark images, fake-report photos): format, size in bytes and in pixels."""
from __future__ import annotations

import io
import warnings

from infra.errors import AppError

IMAGE_TYPES = {"PNG": "image/png", "JPEG": "image/jpeg"}


def _open(data: bytes, field: str, max_pixels: int):
    from PIL import Image, UnidentifiedImageError

    with warnings.catch_warnings():
        # Pillow only warns below twice MAX_IMAGE_PIXELS: treat that as the bomb it may be.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            img = Image.open(io.BytesIO(data))
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise _too_many_pixels(field, max_pixels) from None
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
            raise AppError(422, "图片无法识别，请上传 PNG 或 JPEG / not a PNG or JPEG image", field=field) from None
    width, height = img.size
    # The header is read, the pixels not yet: refuse a huge canvas before it costs memory.
    if width * height > max_pixels:
        img.close()
        raise _too_many_pixels(field, max_pixels)
    if img.format not in IMAGE_TYPES:
        img.close()
        raise AppError(422, "只接受 PNG 或 JPEG 图片 / PNG or JPEG only", field=field)
    return img


def _too_many_pixels(field: str, max_pixels: int) -> AppError:
    return AppError(422, f"图片像素过多（上限 {max_pixels // 1_000_000} 百万像素）/ image has too many pixels",
                    field=field, details={field: "too many pixels", "max_pixels": max_pixels})


def check_image(data: bytes, field: str, max_bytes: int, max_pixels: int) -> str:
    """Refuse anything but a sound PNG or JPEG within `max_bytes` and `max_pixels`; return its MIME type."""
    if len(data) > max_bytes:
        raise AppError(413, f"图片不能超过 {_size(max_bytes)} / image too large", field=field,
                       details={field: "too large", "max_bytes": max_bytes})
    img = _open(data, field, max_pixels)
    with img:
        kind = img.format
        try:
            img.verify()
        except Exception:  # Pillow raises many kinds for a broken file
            raise AppError(422, "图片已损坏 / the image is damaged", field=field) from None
    return IMAGE_TYPES[kind]


def reencode_photo(data: bytes, field: str, max_bytes: int, max_pixels: int, max_side: int) -> tuple[bytes, str]:
    """Check a photo, then return it re-encoded as JPEG: upright, longest side ≤ max_side, no EXIF (no location)."""
    from PIL import ImageOps

    check_image(data, field, max_bytes, max_pixels)
    img = _open(data, field, max_pixels)
    try:
        with img:
            if img.format == "JPEG":
                img.draft("RGB", (max_side, max_side))  # decode at a reduced scale: a fraction of the memory
            img.load()
            upright = ImageOps.exif_transpose(img)  # the phone's orientation tag, applied before it is dropped
            upright.thumbnail((max_side, max_side))
            if upright.mode in ("RGBA", "LA", "P"):
                upright = upright.convert("RGBA")
                flat = _white(upright.size)
                flat.paste(upright, mask=upright.getchannel("A"))
                upright = flat
            else:
                upright = upright.convert("RGB")
            out = io.BytesIO()
            upright.save(out, "JPEG", quality=85, optimize=True)  # no exif=, icc_profile=: nothing carried over
    except AppError:
        raise
    except Exception:
        raise AppError(422, "图片已损坏 / the image is damaged", field=field) from None
    return out.getvalue(), "image/jpeg"


def _white(size):
    from PIL import Image

    return Image.new("RGB", size, (255, 255, 255))


def _size(limit: int) -> str:
    return f"{limit // (1024 * 1024)} MB" if limit >= 1024 * 1024 else f"{limit // 1024} KB"
