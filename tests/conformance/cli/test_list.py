"""`convspec list`."""



def test_list_prints_one_vector_a_line_and_filters_by_tag(run_cli, corpus):
    code, out, _ = run_cli("list")
    assert code == 0 and len(out.strip().splitlines()) == len(corpus)
    code, out, _ = run_cli("list", "--tag", "stride")
    ids = [line.split()[0] for line in out.strip().splitlines()]
    assert ids == [v.id for v in corpus if "stride" in v.tags]

