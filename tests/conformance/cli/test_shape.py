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



def test_shape_transpose_fills_in_the_transposed_rule(run_cli):
    code, out, _ = run_cli("shape", "3", "3", "2", "1", "--transpose", "--output-padding", "1")
    assert code == 0
    assert "= (3 - 1)·2 + 1·(3 - 1) + 1 + 1 = 8" in out
    assert "out  = full - p0 - p1 = 8 - 1 - 1 = 6" in out
    assert "maps every length 5..6 to 3" in out  # output_padding picks one of conv's preimages
    _, out, _ = run_cli("shape", "3", "3", "2", "1,0", "--transpose", "--output-padding", "1")
    assert "= 7" in out and "output positions 6..6 hold only the bias" in out


def test_shape_transpose_agrees_with_the_reference(run_cli):
    from convspec.reference import conv_transpose_output_size

    for w, f, s, p, op, d in [(1, 1, 1, 0, 0, 1), (4, 3, 3, 2, 2, 1), (5, 2, 1, 1, 1, 2), (2, 4, 2, 3, 0, 3)]:
        _, out, _ = run_cli("shape", *map(str, (w, f, s, p)), "--transpose", "--output-padding", str(op),
                            "--dilation", str(d))
        expected = conv_transpose_output_size(w, f, s, (p, p), op, d)
        assert f"out  = full - p0 - p1 = {expected + 2 * p} - {p} - {p} = {expected}" in out


def test_shape_transpose_resolves_onnx_same_modes(run_cli):
    _, out, _ = run_cli("shape", "3", "3", "2", "--transpose", "--padding", "same_upper")
    assert "target W·S = 6, uncropped 7, total crop 1 -> (0, 1)" in out and "= 6" in out
    _, out, _ = run_cli("shape", "3", "3", "2", "--transpose", "--padding", "same_lower")
    assert "-> (1, 0)" in out
    # a target longer than the uncropped output is reached by output_padding
    _, out, _ = run_cli("shape", "4", "1", "3", "--transpose", "--padding", "same_lower")
    assert "no crop, output_padding 0 + 2 = 2" in out and "= 12" in out


def test_shape_transpose_rejects_what_conv_transpose_rejects(run_cli):
    code, _, err = run_cli("shape", "3", "3", "2", "--transpose", "--output-padding", "2")
    assert code == 2 and "below max(stride, dilation) = 2" in err
    code, _, err = run_cli("shape", "1", "1", "1", "1", "--transpose")
    assert code == 2 and "output size < 1" in err
    code, _, err = run_cli("shape", "5", "3", "--output-padding", "1")
    assert code == 2 and "--transpose" in err
