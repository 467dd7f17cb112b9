"""`convspec fuzz`: property-based testing of a backend with Hypothesis.

A generated case is a vector (built in memory with inline data) and is judged exactly like a
corpus vector: same reference, same accuracy rule, same outcomes. On a failure Hypothesis shrinks
the case, and the writer saves the minimal one as a vector file that `convspec run` replays.
The metamorphic laws (linearity, padding, stride, groups, dilation, stacked kernels, translation)
check a backend against itself, with no reference.

Each operator it fuzzes (``--op``: conv, conv_transpose, conv_grad_input, conv_grad_weight,
conv_grad_bias) has its own builders and laws, listed in ``operators``: conv's in ``strategies``
and ``metamorphic``, conv_transpose's in ``transposed`` and ``transposed_laws`` (the adjoint
identity with conv, linearity, stride 1 as a conv), the gradients' in ``gradients`` and
``gradient_laws`` (the adjoint identities with conv, linearity in dy, finite differences).

Modules: ``strategies`` (the attribute and value space), ``cases`` (a generated case: a
:class:`~convspec.conformance.call.Call` with its values, as a vector),
``diagnosis`` (which registered mistake a failure shows), ``writer`` (the YAML reproducer),
``metamorphic`` (the laws) and ``engine`` (driving Hypothesis: budgets, progress, shrinking); the
command line verb is ``convspec.conformance.cli.fuzz``.

Hypothesis is needed only here, so importing this package imports nothing: the command line
stays usable without Hypothesis, and `convspec fuzz` says how to install it.
"""
