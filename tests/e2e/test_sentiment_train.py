"""End-to-end: tools/sentiment-train as `make sentiment-model` runs it, on a
small sample of the English training set, so the trainer cannot rot."""
import os
import re
import subprocess

import pytest

KANAL = os.environ.get("KANAL_BIN", "build/kanal")
TRAIN = os.path.join(os.path.dirname(KANAL), "tools", "sentiment-train")
DATA = os.path.join(os.path.dirname(__file__), "..", "..", "..", "shared", "data", "sentiment")
EN = os.path.join(DATA, "en.train.tsv")


def need_data():
    if os.path.exists(EN):
        return
    if os.environ.get("CI"):
        pytest.fail(f"{EN}: missing, and CI is set")
    pytest.skip(f"{EN} not found (../shared/data is not here)")


def test_trains_a_sample_and_writes_a_model(tmp_path):
    need_data()
    out = tmp_path / "en.model"
    # English's chosen setting (words and the rules' verdict, 4 epochs, L2 1e-3).
    r = subprocess.run([TRAIN, "--lang", "en", "--sample", "1200", "--folds", "3", "--only",
                        "25,4,0.001", "--out", str(out), EN], capture_output=True, timeout=300)
    assert r.returncode == 0, r.stderr
    text = r.stdout.decode()
    assert "1200 lines, 3-fold cross-validation, read as en" in text
    rows = dict(re.findall(r"^(rules alone|uni\S*) .*?macro-recall (\d\.\d+)", text, re.M))
    assert set(rows) == {"rules alone", "uni+rules+norm"}, text
    # Held-out lines: far better than one label for everything (1/3), and
    # better than the rules alone, or no model would be written.
    assert float(rows["uni+rules+norm"]) > 0.45, text
    assert "chosen: uni+rules+norm" in text
    # A 60-byte header and two bytes for each of 2^16 buckets.
    assert out.stat().st_size == 60 + 2 * 65536


def test_refuses_what_it_cannot_use(tmp_path):
    bad = tmp_path / "x.tsv"
    bad.write_text("pos\tgood\n")
    assert subprocess.run([TRAIN, "--lang", "de", str(bad)], capture_output=True).returncode == 2
    r = subprocess.run([TRAIN, "--lang", "en", str(bad)], capture_output=True)
    assert r.returncode == 1 and b"too few labelled lines" in r.stderr
