"""`convspec shape`."""



def test_shape_fills_in_the_formula_and_explains_the_floor(run_cli):
    _, out, _ = run_cli("shape", "5", "3", "1", "0")
    assert "floor(2 / 1) + 1 = 3" in out
    _, out, _ = run_cli("shape", "6", "3", "2")
    assert "= 2" in out and "5..5 are never reached" in out
    _, out, _ = run_cli("shape", "5", "2", "1", "--padding", "same_lower")
    assert "same_lower pads (1, 0)" in out


def test_shape_rejects_kernel_larger_than_input(run_cli):
    code, _, err = run_cli("shape", "2", "3")
    assert code == 2 and "output size < 1" in err

