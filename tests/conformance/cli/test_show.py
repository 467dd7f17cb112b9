"""`convspec show`."""



def test_show_works_the_minus_60_example_term_by_term(run_cli):
    code, out, _ = run_cli("show", "notes/convolution/minus-60")
    assert code == 0
    assert "10·1 + 20·0 + 30·(-1) + 15·1 + 25·0 + 35·(-1) + 20·1 + 30·0 + 40·(-1)" in out
    assert "= -60" in out and "course notes" in out


def test_show_letter_windows(run_cli):
    _, out, _ = run_cli("show", "notes/stride/letters-stride-2-windows")
    assert "window at [0, 1] covers C D E / H I J / M N O" in out


def test_show_unknown_id_suggests_near_ids(run_cli):
    code, _, err = run_cli("show", "minus-60")
    assert code == 2 and "did you mean notes/convolution/minus-60" in err

