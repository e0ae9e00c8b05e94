"""A core's sentence is its Chinese text, and keeps what a shell needs to say it in English."""
import pickle

from infra.i18n import one_language, say
from infra.words import Listing, Sentence


def test_a_sentence_is_the_chinese_text_made_from_its_template():
    sentence = Sentence("缺少第 %(missing)s 件的结果（应测 %(units)s 件）", missing=Listing(["1", "3"]), units=3)
    assert sentence == "缺少第 1、3 件的结果（应测 3 件）" and isinstance(sentence, str)
    assert pickle.loads(pickle.dumps(sentence)).template == sentence.template


def test_say_puts_a_sentence_and_its_values_into_the_reader_s_language(app):
    nested = Sentence("%(result)s，%(requirement)s：%(verdict)s", result=Sentence("检验结果“%(answer)s”",
                      answer=Sentence("是")), requirement=Sentence("要求%(requirement)s",
                      requirement=Sentence("应为“%(answer)s”", answer=Sentence("是"))), verdict=Sentence("合格"))
    with app.test_request_context("/?lang=en"):
        assert say(nested) == "result “yes”; must be “yes”: Pass"
        assert say(Listing(["5.2", "5.9"])) == "5.2, 5.9"
        assert say("已存档") == "已存档"  # text that is not a sentence is shown as it is
        assert one_language("企业不存在 / unknown firm") == "Unknown firm"
        assert one_language("字段 sampling.lot_size 应为整数 / sampling.lot_size must be a whole number") \
            == "sampling.lot_size must be a whole number"
    with app.test_request_context("/"):
        assert say(nested) == nested == "检验结果“是”，要求应为“是”：合格"
        assert one_language("企业不存在 / unknown firm") == "企业不存在"
