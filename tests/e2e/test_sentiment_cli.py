"""End-to-end: `kanal sentiment` as users run it, on stdin and with --eval."""
import os
import subprocess


KANAL = os.environ.get("KANAL_BIN", "build/kanal")
DEV = os.path.join(os.path.dirname(__file__), "..", "..", "..", "shared", "data", "sentiment")


def run(args, stdin=b""):
    return subprocess.run([KANAL, "sentiment", *args], input=stdin, capture_output=True, timeout=120)


def test_help():
    r = run(["--help"])
    assert r.returncode == 0
    assert b"--eval" in r.stdout and b"--lang" in r.stdout


def test_labels_stdin_one_line_per_text():
    texts = ["This is a great day!", "This is terrible", "Det här är inte bra",
             "Tämä on ihana päivä", "The bus leaves at six", ""]
    r = run([], "\n".join(texts).encode() + b"\n")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.decode().splitlines()
    assert len(lines) == len(texts)
    rows = [line.split("\t") for line in lines]
    for label, score, lang in rows:
        assert label in ("pos", "neu", "neg")
        assert -1.0 <= float(score) <= 1.0
        assert lang in ("sv", "fi", "en", "other")
    assert rows[0][0] == "pos" and rows[0][2] == "en"
    assert rows[1][0] == "neg"
    assert rows[2][0] == "neg" and rows[2][2] == "sv"
    assert rows[3][0] == "pos" and rows[3][2] == "fi"
    assert rows[4][0] == "neu"


def test_forced_language():
    r = run(["--lang", "fi"], "hyvä\n".encode())
    assert r.stdout.decode().split("\t")[2].strip() == "fi"
    assert run(["--lang", "de"]).returncode == 2


def test_invalid_utf8_is_reported_not_fatal():
    r = run([], b"good\n\xff\xfe bad\nfine\n")
    assert len(r.stdout.splitlines()) == 3
    assert b"stdin:2: not valid UTF-8" in r.stderr
    assert r.returncode == 1


def test_eval_prints_scores(tmp_path):
    f = tmp_path / "mini.tsv"
    f.write_text("pos\tThis is wonderful\nneg\tThis is awful\nneu\tThe train leaves at six\n")
    r = run(["--eval", str(f)])
    assert r.returncode == 0, r.stderr
    out = r.stdout.decode()
    assert "macro-recall 1.000" in out and "accuracy 1.000" in out


def test_eval_names_file_and_line(tmp_path):
    f = tmp_path / "sv.dev.tsv"
    f.write_bytes(b"pos\tbra\nno tab here\nmaybe\tvet inte\nneg\t\xff\n")
    r = run(["--eval", str(f)])
    err = r.stderr.decode()
    assert "sv.dev.tsv:2: no TAB between label and text" in err
    assert "sv.dev.tsv:3: label 'maybe' is not pos, neu or neg" in err
    assert "sv.dev.tsv:4: text is not valid UTF-8" in err
    assert r.returncode == 1
    assert run(["--eval", str(tmp_path / "missing.tsv")]).returncode == 1


def test_eval_learn_scores_held_out_lines_only():
    r = run(["--eval", os.path.join(DEV, "sv.dev.tsv"), "--learn", "300"])
    assert r.returncode == 0, r.stderr
    out = r.stdout.decode()
    assert "scoring the other 506 lines" in out
    assert "(506 texts)" in out
    assert "rules" in out and "learned" in out
