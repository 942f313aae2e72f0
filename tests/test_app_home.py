"""Home as cards: the lessons first (each a link to its first step, with its length), then every page in order."""
from streamlit.testing.v1 import AppTest

from kdviz import guide, lessons, site
from tests.conftest import APP


def test_home_shows_lesson_cards_and_page_cards_in_order_with_times():
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception
    links = [(link.proto.label, link.proto.page) for link in at.get("page_link")]
    found = lessons.lessons()
    assert [label for label, _ in links[:len(found)]] == [lesson.title for lesson in found]
    cards = [p for p in site.PAGES if not p.default]  # every page but Home itself, in the records' order
    assert [(label, target) for label, target in links[len(found):]] == [
        (f"{i}. {p.title}", p.path) for i, p in enumerate(cards, 1)]
    captions = [c.value for c in at.caption]
    assert f"about {found[0].minutes:g} min" in " ".join(captions)
    assert [c for c in captions if c.endswith(" min.") and "About " in c] == [
        f"{p.line} About {p.minutes} min." for p in cards]


def test_every_card_has_its_pages_figure():
    at = AppTest.from_file(APP, default_timeout=60).run()
    images = at.get("image")
    found = lessons.lessons()
    assert len(images) == len(found) + len(guide.PAGES)
    assert site.thumbnail("temperature") != site.thumbnail("gradients")
