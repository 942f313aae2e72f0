"""Home as cards: the lessons first (each a link to its first step, with its length), then every page in order."""
from streamlit.testing.v1 import AppTest

from kdviz import lessons
from tests.conftest import APP


def test_home_shows_lesson_cards_and_page_cards_in_order_with_times():
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception
    links = [(link.proto.label, link.proto.page) for link in at.get("page_link")]
    found = lessons.lessons()
    assert [label for label, _ in links[:len(found)]] == [lesson.title for lesson in found]
    assert [label for label, _ in links[len(found):]] == [
        "1. Temperature", "2. Gradients", "3. Live training", "4. Dark knowledge", "5. Compare paradigms",
        "6. Beyond one teacher", "7. Which teacher?", "8. Claims on trial", "9. Market", "10. Board"]
    captions = [c.value for c in at.caption]
    assert f"about {found[0].minutes:g} min" in " ".join(captions)
    assert sum("About " in c and " min." in c for c in captions) == 10


def test_every_card_has_its_pages_figure():
    from kdviz.thumbnails import thumbnail

    at = AppTest.from_file(APP, default_timeout=60).run()
    images = at.get("image")
    found = lessons.lessons()
    assert len(images) == len(found) + 10
    assert thumbnail("temperature") != thumbnail("gradients")
