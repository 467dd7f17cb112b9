"""`convspec validate`."""



def test_validate_reports_counts(run_cli, corpus):
    code, out, _ = run_cli("validate")
    assert code == 0 and out.startswith(f"{len(corpus)} vectors in")

