// The output-size calculator of concepts/output-size.md. Plain JavaScript shipped with the site:
// it needs no network. It applies the rule of the spec (spec/semantics.md):
//   out = floor((W + p0 + p1 - D*(F - 1) - 1) / S) + 1, and out >= 1, else an error
//   same: total = max((ceil(W/S) - 1)*S + D*(F - 1) + 1 - W, 0); same_upper puts the odd extra
//   zero at the end, same_lower at the beginning; valid: no padding.
(function () {
  "use strict";

  function value(id) {
    return parseInt(document.getElementById(id).value, 10);
  }

  function compute(W, F, S, D, mode, p0, p1) {
    if ([W, F, S, D, p0, p1].some(function (v) { return !Number.isFinite(v); })) {
      return { error: "every field needs a whole number" };
    }
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

  function update() {
    var mode = document.getElementById("calc-mode").value;
    var r = compute(value("calc-w"), value("calc-f"), value("calc-s"), value("calc-d"), mode,
                    value("calc-p0"), value("calc-p1"));
    var explicit = mode === "explicit";
    document.getElementById("calc-p0").disabled = !explicit;
    document.getElementById("calc-p1").disabled = !explicit;
    document.getElementById("calc-out").textContent = r.error ? r.error : "output size " + r.out;
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
