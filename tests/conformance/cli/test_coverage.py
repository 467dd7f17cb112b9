"""`convspec coverage`."""



def test_coverage_view_prints_the_count_map(run_cli):
    code, out, _ = run_cli("coverage", "5", "5", "3")
    lines = out.splitlines()
    assert code == 0 and lines[1] == "1 2 3 2 1" and lines[3] == "3 6 9 6 3"
    _, out, _ = run_cli("coverage", "5", "5", "3", "--padding", "1")
    assert out.splitlines()[1] == "4 6 6 6 4"

