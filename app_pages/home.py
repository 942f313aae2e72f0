"""Home: what knowledge distillation is, and what each page shows."""
import streamlit as st

st.title("kdviz: knowledge distillation, live")
st.markdown(
    """
**Knowledge distillation** trains a small *student* network to imitate a large *teacher*. Instead of
learning only from hard labels ("this is a 3"), the student also matches the teacher's full output
distribution, softened by a **temperature** T: "mostly a 3, a little like an 8, nothing like a 1".
Those small probabilities, Hinton's *dark knowledge*, tell the student how the teacher generalises.

The loss is one line:
"""
)
st.latex(r"L = \alpha\,\mathrm{CE}(p,\,y) + (1-\alpha)\,T^2\,\mathrm{KL}(q^T \Vert\, p^T)")
st.latex(r"p = \mathrm{softmax}(z),\quad p^T = \mathrm{softmax}(z/T),\quad q^T = \mathrm{softmax}(v/T)")
st.markdown(
    r"""
with student logits $z$, teacher logits $v$, label $y$, and $\alpha\in[0,1]$ the weight of the hard labels.
Every page computes what it shows, in your session: nothing is a picture of a curve. Knowledge
distillation does not always help; the training pages show each student beside the same network
trained without it, over several seeds, and say so when the difference is within the noise.

| page | what you can see there |
|---|---|
| **Temperature** | how T softens a teacher's output; entropy against T; the T → 0 and T → ∞ limits; why the ranking never changes |
| **Gradients** | the soft loss's gradient, analytic beside autograd; why the $T^2$ factor is there; KD turning into logit matching at high T; common textbook errors checked live |
| **Live training** | a teacher and paired students (KD and no-KD, same initial weights) trained while you watch, on 2-D data; decision regions, learning curves, the effect beside the seed spread |
| **Dark knowledge** | handwritten digits: the teacher's soft targets, which digits it finds alike, the omitted-digit experiment, a temperature × alpha sweep |
| **Compare paradigms** | response, feature and relation-based KD, DKD and more, trained side by side over several seeds |
| **Beyond one teacher** | several teachers, mutual learning without a teacher, an EMA teacher, born-again generations |
| **Market** | an ensemble trading model distilled into a tiny, fast student on market data; latency, calibration, an illustrative backtest |

Every control is mirrored in the page's URL: copy the link to share exactly what you see.
"""
)
