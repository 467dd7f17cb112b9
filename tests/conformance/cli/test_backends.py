"""`convspec backends`."""



def test_backends_lists_the_builtins(run_cli):
    _, out, _ = run_cli("backends")
    names = [line.split()[0] for line in out.splitlines()]
    assert names[:2] == ["numpy", "reference"]

