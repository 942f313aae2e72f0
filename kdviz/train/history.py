"""A population run's records: every member's metrics at fixed moments, on a fixed subset of training points.

History fixes, once per run, the training points the records are measured on (up to
RECORD_POINTS labelled ones for the hard loss and train accuracy, up to RECORD_POINTS of all
for the soft loss: a seeded subset of larger sets) and the test set; ``measure`` turns every
member's logits on those inputs into one record (one device sync), ``append`` keeps it.
"""
from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F

from kdviz import metrics
from kdviz.data.registry import Dataset
from kdviz.train.outputs import TeacherOutputs
from kdviz.train.kernels import kl_fm

RECORD_POINTS = 512  # training points (a fixed seeded subset of larger sets) the train metrics use
HISTORY_KEYS = ("loss", "hard_loss", "soft_loss", "train_acc", "test_acc", "test_nll", "test_ece", "fidelity",
                "kl_test", "grad_norm")


class History:
    """Records of K members: per record, each HISTORY_KEYS metric (K,) and the test recall per class (K, C)."""

    def __init__(self, ds: Dataset, teacher: TeacherOutputs | None, T: torch.Tensor, has_unlabelled: bool):
        """ds, teacher: on the run's device; T: (K, 1, 1) the members' temperatures (for the soft loss)."""
        dev, y = ds.x_train.device, ds.y_train
        all_idx = torch.arange(len(y), device="cpu")  # indices drawn on the CPU, then moved
        lab_idx = all_idx[(y >= 0).cpu()]
        gen = torch.Generator().manual_seed(0)
        pick = (lambda ix: ix[torch.randperm(len(ix), generator=gen, device="cpu")[:RECORD_POINTS]].sort().values)
        rec_lab = pick(lab_idx)
        rec_all = rec_lab if not has_unlabelled else pick(all_idx)
        rec = torch.unique(torch.cat([rec_lab, rec_all]))  # sorted training indices evaluated at records
        pos = torch.full((len(all_idx),), -1, dtype=torch.long, device="cpu")
        pos[rec] = torch.arange(len(rec), device="cpu")
        self.ds, self.T = ds, T
        # positions of each subset among the evaluated points; None where a subset is all of them, in order
        self._lab_pos, self._all_pos = (None if len(ix) == len(rec) else pos[ix].to(dev) for ix in (rec_lab, rec_all))
        self._y = y[rec_lab.to(dev)]  # (n_lab,)
        self._n_train = len(rec)
        self.inputs = torch.cat([ds.x_train[rec.to(dev)], ds.x_test])  # (n_rec + N_test, D): what each record reads
        self._teacher_test = self._q = None
        if teacher is not None:
            rec_v = teacher.train.t()[:, rec_all.to(dev)]  # (C, n_all)
            logq = F.log_softmax(rec_v.unsqueeze(0) / T, 1)  # (K, C, n_all) the teacher at each member's T
            # KL(q || p) = sum q log q - sum q log p: the teacher's part is fixed, made once
            self._q, self._q_logq = logq.exp(), kl_fm(logq, torch.zeros_like(logq))  # (K, C, n_all), (K,)
            self._teacher_test = metrics.Outputs(teacher.test)  # its predictions are computed once
        self._rows: dict[str, list] = {key: [] for key in (*HISTORY_KEYS, "test_recall")}
        self._steps: list[int] = []
        self._table = None

    @torch.no_grad()
    def measure(self, z: torch.Tensor, loss: torch.Tensor, grad_norm: torch.Tensor) -> tuple[np.ndarray, np.ndarray]:
        """One record from every member's logits z (K, n_rec + N_test, C) on ``inputs`` and the mean training
        loss and gradient norm (K,) since the previous record: (metrics (len(HISTORY_KEYS), K), recall (K, C))."""
        ds, k = self.ds, z.shape[0]
        nan = torch.full((k,), math.nan, dtype=z.dtype, device=z.device)
        z_tr = z[:, :self._n_train]
        te = metrics.Outputs(z[:, self._n_train:])
        if len(self._y):
            tr = metrics.Outputs(self._subset(z_tr, self._lab_pos))
            hard, train_acc = metrics.nll(tr, self._y), metrics.accuracy(tr, self._y)
        else:
            hard = train_acc = nan
        if self._q is not None:
            logp = F.log_softmax(self._subset(z_tr, self._all_pos).transpose(1, 2) / self.T, 1)  # (K, C, n)
            soft = self.T.view(-1) ** 2 * (self._q_logq - (self._q * logp).sum(1).mean(-1))  # T^2 KL(q^T || p^T)
            fid, kl = metrics.fidelity(te, self._teacher_test), metrics.kl_to_teacher(te, self._teacher_test)
        else:
            soft = fid = kl = nan
        row = torch.stack([loss, hard, soft, train_acc, metrics.accuracy(te, ds.y_test),
                           metrics.nll(te, ds.y_test), metrics.ece(te, ds.y_test), fid, kl, grad_norm])
        recall = metrics.recall_per_class(te, ds.y_test)  # (K, C)
        return row.cpu().numpy(), recall.cpu().numpy()

    @staticmethod
    def _subset(z: torch.Tensor, pos: torch.Tensor | None) -> torch.Tensor:
        """The evaluated training points at positions ``pos`` (K, n, C) of z (K, n_rec, C); all of them for None."""
        return z if pos is None else z.index_select(1, pos)

    def append(self, step: int, row: np.ndarray, recall: np.ndarray) -> None:
        """Keep one record taken after ``step`` optimiser steps."""
        for key, values in zip(HISTORY_KEYS, row):
            self._rows[key].append(values)
        self._rows["test_recall"].append(recall)
        self._steps.append(step)
        self._table = None

    @property
    def last_step(self) -> int:
        """The step of the latest record."""
        return self._steps[-1]

    @property
    def table(self) -> dict[str, np.ndarray]:
        """The records as arrays: "step" (R,), each HISTORY_KEYS entry (K, R), "test_recall" (K, C, R)."""
        if self._table is None:
            h = {key: np.stack(rows, axis=-1) for key, rows in self._rows.items()}
            h["step"] = np.asarray(self._steps, dtype=np.int64)
            self._table = h
        return self._table
