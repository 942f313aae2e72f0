"""Students of a character teacher: the same start and batches for every method of a seed, each member trained by
its own method's loss, the sequence-level and on-policy inputs, and the held-out metrics against a direct computation."""
import math

import pytest
import torch

from kdviz.lm.corpus import Corpus, decode, encode, python_docs
from kdviz.lm.distil import DistilSettings, Students, held_out_metrics, method_loss
from kdviz.lm.model import CharGRU, Shape

TINY = Shape(embed=4, hidden=8)
SETTINGS = DistilSettings(window=12, batch=3, pool=5)


@pytest.fixture(scope="module")
def corpus():
    text = encode("the cat sat on the mat. the dog sat on the log.\n" * 40)
    return Corpus(text[:1500], text[1500:], "a test text")


@pytest.fixture(scope="module")
def teacher():
    return CharGRU(Shape(embed=4, hidden=16), [7]).eval()


def test_every_method_of_a_seed_starts_from_the_same_weights(corpus, teacher):
    students = Students(teacher, corpus, TINY, ("labels", "forward_kl", "sequence"), (0, 1), SETTINGS)
    w = students.model.w_h
    assert torch.equal(w[0], w[1]) and torch.equal(w[1], w[2]) and not torch.equal(w[0], w[3])
    assert students.methods == ["labels", "forward_kl", "sequence"] * 2 and students.seeds == [0, 0, 0, 1, 1, 1]


def test_a_member_trains_as_it_would_alone(corpus, teacher):
    """The labels student of a population and a population of that student alone take the same steps (two runs of
    one code path with other batch shapes in the matmuls: a tolerance)."""
    together = Students(teacher, corpus, TINY, ("labels", "forward_kl", "reverse_kl"), (0,), SETTINGS)
    alone = Students(teacher, corpus, TINY, ("labels",), (0,), SETTINGS)
    for _ in range(3):
        a, b = together.train_step(), alone.train_step()
        assert a[0].item() == pytest.approx(b[0].item(), rel=1e-5)
    torch.testing.assert_close(together.model.w_h[0], alone.model.w_h[0], rtol=1e-4, atol=1e-6)


def test_each_member_gets_its_methods_loss(corpus, teacher):
    students = Students(teacher, corpus, TINY, ("labels", "forward_kl", "jsd", "top_k"), (0,), SETTINGS)
    got = students.train_step()
    students2 = Students(teacher, corpus, TINY, ("labels", "forward_kl", "jsd", "top_k"), (0,), SETTINGS)
    text, ids = students2.batch_ids()
    x, y = ids[:, :, :-1], ids[:, :, 1:]
    z, _ = students2.model(x)
    v = teacher(text[:, :-1])[0][0]
    for i, m in enumerate(students2.methods):
        assert got[i].item() == pytest.approx(method_loss(m, z[i], v, y[i], None, SETTINGS).item(), rel=1e-6)


def test_sequence_students_read_teacher_text_and_on_policy_students_their_own(corpus, teacher):
    students = Students(teacher, corpus, TINY, ("labels", "sequence", "on_policy"), (0,), SETTINGS)
    text, ids = students.batch_ids()
    assert torch.equal(ids[0], text)
    assert any(torch.equal(ids[1][b], p) for b in range(3) for p in students.pool)
    half = (SETTINGS.window + 1) // 2
    assert torch.equal(ids[2][:, :half], text[:, :half]) and not torch.equal(ids[2], text)


def test_held_out_metrics_are_bits_agreement_and_kl(corpus, teacher):
    model = CharGRU(TINY, [0, 1])
    windows = corpus.windows("held_out", 10, 4, seed=0)
    m = held_out_metrics(model, teacher, windows)
    z, _ = model(windows[:, :-1])
    v = teacher(windows[:, :-1])[0][0]
    for k in range(2):
        ce = torch.nn.functional.cross_entropy(z[k].reshape(-1, 96).double(), windows[:, 1:].reshape(-1))
        assert m["bits_per_char"][k].item() == pytest.approx(ce.item() / math.log(2), rel=1e-9)
        kl = torch.nn.functional.kl_div(torch.log_softmax(z[k].double(), -1), torch.log_softmax(v.double(), -1),
                                        log_target=True, reduction="none").sum(-1).mean()
        assert m["kl_to_teacher"][k].item() == pytest.approx(kl.item(), rel=1e-9)
    assert m["agreement"].shape == (2,) and ((0 <= m["agreement"]) & (m["agreement"] <= 1)).all()
    same = held_out_metrics(teacher, teacher, windows)
    assert same["kl_to_teacher"][0].item() == pytest.approx(0.0, abs=1e-12) and same["agreement"][0].item() == 1.0


def test_an_unknown_method_is_refused(corpus, teacher):
    with pytest.raises(ValueError, match="unknown method 'mimic'; choose from labels, forward_kl"):
        Students(teacher, corpus, TINY, ("labels", "mimic"), (0,), SETTINGS)


def test_the_python_docs_corpus_is_english_split_by_paragraph():
    c = python_docs()
    assert len(c.train) > 350_000 and len(c.held_out) > 35_000
    assert " the " in decode(c.held_out[:5000]) and c.source.startswith("CPython's help topics")
