"""End-to-end: tools/sentiment-train as `make sentiment-model` runs it, on a
small sample of the English training set, so the trainer cannot rot."""
import os
import re
import struct
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
    rows = dict(re.findall(r"^(rules alone|uni\S*(?: b16 e4 l2=0.001 neutral=[-+]\d\.\d)?) .*?"
                           r"macro-recall (\d\.\d+)", text, re.M))
    band = [k for k in rows if "neutral=" in k]
    assert set(rows) == {"rules alone", "uni+rules+norm"} | set(band) and len(band) == 1, text
    # Held-out lines: far better than one label for everything (1/3), and
    # better than the rules alone, or no model would be written.
    assert float(rows["uni+rules+norm"]) > 0.45, text
    # The band (neutral's logit) is chosen on the same held-out answers, so
    # it scores at least what the model as trained (band 0) does.
    assert float(rows[band[0]]) >= float(rows["uni+rules+norm"]), text
    assert f"chosen: {band[0]} (cross-validated macro-recall {rows[band[0]]})" in text
    # A 64-byte header and two bytes for each of 2^16 buckets.
    assert out.stat().st_size == 64 + 2 * 65536
    # The band it chose is in the file, after the dense weights.
    z = struct.unpack_from("<f", out.read_bytes(), 56)[0]
    assert abs(z - float(band[0].split("neutral=")[1])) < 1e-6


def test_fixed_band_is_written(tmp_path):
    """--neutral fixes the band instead of choosing it; far up, every
    held-out line is answered neutral (its recall 1, the others' 0)."""
    need_data()
    out = tmp_path / "en.model"
    r = subprocess.run([TRAIN, "--lang", "en", "--sample", "600", "--folds", "3", "--only",
                        "25,2,0.001", "--neutral", "15", "--out", str(out), EN],
                       capture_output=True, timeout=300)
    assert r.returncode == 0, r.stderr
    text = r.stdout.decode()
    assert re.search(r"^uni\+rules\+norm b16 e2 l2=0.001 neutral=\+15.0 +macro-recall 0.333 "
                     r" \(pos 0.000 neu 1.000 neg 0.000\)", text, re.M), text
    # Answering neutral everywhere does not beat the rules: no model written.
    assert "chosen: the rules alone" in text and not out.exists()
    for bad in ("x", "nan", "99"):
        assert subprocess.run([TRAIN, "--lang", "en", "--neutral", bad, EN],
                              capture_output=True).returncode == 2


def test_refuses_what_it_cannot_use(tmp_path):
    bad = tmp_path / "x.tsv"
    bad.write_text("pos\tgood\n")
    assert subprocess.run([TRAIN, "--lang", "de", str(bad)], capture_output=True).returncode == 2
    r = subprocess.run([TRAIN, "--lang", "en", str(bad)], capture_output=True)
    assert r.returncode == 1 and b"too few labelled lines" in r.stderr
