// The output-size calculator of concepts/output-size.md. Plain JavaScript shipped with the site:
// it needs no network. It applies the rules of the spec (spec/semantics.md):
//   conv: out = floor((W + p0 + p1 - D*(F - 1) - 1) / S) + 1, and out >= 1, else an error
//   same: total = max((ceil(W/S) - 1)*S + D*(F - 1) + 1 - W, 0); same_upper puts the odd extra
//   zero at the end, same_lower at the beginning; valid: no padding.
//   transposed: out = (W - 1)*S - p0 - p1 + D*(F - 1) + OP + 1 >= 1, 0 <= OP < max(S, D); padding
//   crops; same_* aim at W*S: total = (W - 1)*S + D*(F - 1) + 1 + OP - W*S, split as ONNX's
//   auto_pad (same_upper: the odd one at the end), and a negative total becomes output_padding.
// tests/docs/test_calculator.py runs compute() and computeTranspose() under Node against the Python rules.
(function () {
  "use strict";

  function wholeNumbers(values) {
    return values.every(function (v) { return Number.isFinite(v); });
  }

  function compute(W, F, S, D, mode, p0, p1) {
    if (!wholeNumbers([W, F, S, D, p0, p1])) return { error: "every field needs a whole number" };
    if (W < 1 || F < 1) return { error: "W and F must be at least 1" };
    if (S < 1 || D < 1) return { error: "stride and dilation must be at least 1" };
    if (mode === "valid") { p0 = 0; p1 = 0; }
    if (mode === "same_upper" || mode === "same_lower") {
      var total = Math.max((Math.ceil(W / S) - 1) * S + D * (F - 1) + 1 - W, 0);
      var small = Math.floor(total / 2);
      p0 = mode === "same_upper" ? small : total - small;
      p1 = total - p0;
    }
    if (p0 < 0 || p1 < 0) return { error: "padding cannot be negative" };
    var span = D * (F - 1) + 1;
    var top = W + p0 + p1 - span;
    var out = Math.floor(top / S) + 1;
    var lines = [];
    if (mode === "same_upper" || mode === "same_lower") {
      lines.push(mode + ": total padding " + (p0 + p1) + " -> (" + p0 + ", " + p1 + ")");
    }
    lines.push("span of the kernel D*(F - 1) + 1 = " + D + "*(" + F + " - 1) + 1 = " + span);
    lines.push("out = floor((W + p0 + p1 - span) / S) + 1 = floor((" + W + " + " + p0 + " + " + p1 +
               " - " + span + ") / " + S + ") + 1 = floor(" + top + " / " + S + ") + 1 = " + out);
    if (out >= 1 && top % S !== 0) {
      lines.push("(" + top + " / " + S + " is not whole: the last " + (top % S) +
                 " row(s)/column(s) no window can reach are dropped)");
    }
    if (out < 1) return { error: "no window fits: the call is invalid", work: lines.join("\n") };
    return { out: out, work: lines.join("\n"), p0: p0, p1: p1 };
  }

  function computeTranspose(W, F, S, D, mode, p0, p1, OP) {
    if (!wholeNumbers([W, F, S, D, p0, p1, OP])) return { error: "every field needs a whole number" };
    if (W < 1 || F < 1) return { error: "W and F must be at least 1" };
    if (S < 1 || D < 1) return { error: "stride and dilation must be at least 1" };
    var lines = [];
    if (mode === "valid") { p0 = 0; p1 = 0; }
    if (mode === "same_upper" || mode === "same_lower") {
      var natural = (W - 1) * S + D * (F - 1) + 1 + OP;
      var total = natural - W * S;
      if (total >= 0) {
        var small = Math.floor(total / 2);
        p0 = mode === "same_upper" ? small : total - small;
        p1 = total - p0;
        lines.push(mode + ": target W*S = " + W * S + ", crop " + natural + " - " + W * S + " = " +
                   total + " -> (" + p0 + ", " + p1 + ")");
      } else {
        p0 = 0; p1 = 0;
        lines.push(mode + ": target W*S = " + W * S + " is " + (-total) + " longer than " + natural +
                   ": no crop, output_padding " + OP + " + " + (-total) + " = " + (OP - total));
        OP -= total;
      }
    }
    if (p0 < 0 || p1 < 0) return { error: "padding cannot be negative" };
    if (OP < 0 || OP >= Math.max(S, D)) {
      return { error: "output_padding must be at least 0 and below max(S, D) = " + Math.max(S, D),
               work: lines.join("\n") };
    }
    var full = (W - 1) * S + D * (F - 1) + 1 + OP;
    var out = full - p0 - p1;
    lines.push("full = (W - 1)*S + D*(F - 1) + 1 + OP = (" + W + " - 1)*" + S + " + " + D + "*(" + F +
               " - 1) + 1 + " + OP + " = " + full);
    lines.push("out = full - p0 - p1 = " + full + " - " + p0 + " - " + p1 + " = " + out);
    if (out >= 1 && OP > 0) {
      var unreached = Math.min(Math.max(OP - p1, 0), out);
      lines.push(unreached > 0
        ? "(output_padding: the last " + unreached + " output position(s) receive no product, only the bias)"
        : "(output_padding adds " + OP + " position(s) no product reaches; the crop p1 = " + p1 +
          " removes them again)");
    }
    if (out < 1) return { error: "the crop leaves nothing: the call is invalid", work: lines.join("\n") };
    return { out: out, work: lines.join("\n"), p0: p0, p1: p1, outputPadding: OP };
  }

  if (typeof module !== "undefined" && module.exports) {
    module.exports = { compute: compute, computeTranspose: computeTranspose };
  }
  if (typeof document === "undefined") return;

  function value(id) {
    return parseInt(document.getElementById(id).value, 10);
  }

  function update() {
    var mode = document.getElementById("calc-mode").value;
    var transposed = document.getElementById("calc-transpose").checked;
    var args = [value("calc-w"), value("calc-f"), value("calc-s"), value("calc-d"), mode,
                value("calc-p0"), value("calc-p1")];
    var r = transposed ? computeTranspose.apply(null, args.concat([value("calc-op")])) : compute.apply(null, args);
    var explicit = mode === "explicit";
    document.getElementById("calc-p0").disabled = !explicit;
    document.getElementById("calc-p1").disabled = !explicit;
    document.getElementById("calc-op").disabled = !transposed;
    document.getElementById("calc-out").textContent = r.error ? r.error
      : (transposed ? "transposed output size " : "output size ") + r.out;
    document.getElementById("calc-out").className = r.error ? "cs-calc-error" : "";
    document.getElementById("calc-work").textContent = r.work || "";
  }

  function setup() {
    var root = document.getElementById("output-size-calculator");
    if (!root || root.dataset.ready) return;
    root.dataset.ready = "1";
    root.addEventListener("input", update);
    root.addEventListener("change", update);
    update();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setup);
  } else {
    setup();
  }
  // Material's instant navigation (if ever enabled) swaps pages without a reload.
  if (typeof window.document$ !== "undefined" && window.document$.subscribe) {
    window.document$.subscribe(setup);
  }
})();
