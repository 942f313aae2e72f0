"""Home: what knowledge distillation is, the lessons, and the pages as cards in a suggested order."""
import streamlit as st

from kdviz import guide, lessons, site

st.title("kdviz: knowledge distillation, live")
st.markdown(
    "**Knowledge distillation** trains a small *student* network to imitate a large *teacher*: besides the hard "
    "labels, the student matches the teacher's output distribution softened by a **temperature** $T$. The small "
    "probabilities it reveals, Hinton's *dark knowledge*, tell the student how the teacher generalises.")
st.latex(r"L = \alpha\,\mathrm{CE}(p,\,y) + (1-\alpha)\,T^2\,\mathrm{KL}(q^T \Vert\, p^T)")
for column, formula in zip(st.columns(3), (r"p = \mathrm{softmax}(z)", r"p^T = \mathrm{softmax}(z/T)",
                                           r"q^T = \mathrm{softmax}(v/T)")):
    column.latex(formula)  # side by side on a wide screen, one under another on a phone (never cut off)
st.caption("z: student logits, v: teacher logits, y: the label, α ∈ [0, 1] the weight of the hard labels. Every "
           "number from a run is computed on this server for your settings, and every student is shown beside the "
           "same network trained without KD; the papers' reference numbers are typed from the papers and labelled "
           "as theirs.")


def card_grid(cards, columns: int = 3) -> None:
    """Draw (draw-function) cards in rows of ``columns`` bordered boxes."""
    for start in range(0, len(cards), columns):
        for col, draw in zip(st.columns(columns), cards[start:start + columns]):
            with col.container(border=True):
                draw()


def lesson_card(lesson: lessons.Lesson):
    def draw() -> None:
        st.image(site.thumbnail(lesson.steps[0].page), width=200)
        st.page_link(site.page(lesson.steps[0].page).file, label=lesson.title, icon=":material/school:",
                     query_params=lessons.step_params(lesson, 0))
        st.caption(f"{lesson.summary} {len(lesson.steps)} steps, about {lesson.minutes:g} min.")
    return draw


def page_card(number: int, page: site.PageRecord):
    def draw() -> None:
        st.image(site.thumbnail(page.path), width=200)
        st.page_link(page.file, label=f"{number}. {page.title}", icon=page.icon)
        st.caption(f"{page.line} About {page.minutes} min.")
    return draw


st.subheader("Lessons")
try:
    card_grid([lesson_card(lesson) for lesson in lessons.lessons()], columns=2)
except ValueError as err:  # a lesson file an instructor is editing: say which, keep Home working
    st.warning(f"A lesson file could not be read: {err}", icon=":material/school:")
st.subheader("The pages, in a suggested order")
card_grid([page_card(i, p) for i, p in enumerate(guide.PAGES, 1)])
st.caption("Every control is mirrored in the page's URL: **Copy link** in the sidebar hands out exactly what you see.")
