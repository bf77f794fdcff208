// Progressive enhancement only: every rule below is checked again by the console on submit
// and by the service; this shows it while the form is being filled in.
(function () {
  "use strict";
  function problems(form) {
    var kind = form.dataset.check, out = [];
    var val = function (n) { var el = form.elements[n]; return el ? el.value : ""; };
    if (kind === "pick") {
      if (val("recommendation") === "buy" && val("technical_view") === "bearish") {
        out.push("技术面看空的股票不能推荐买入（千万不可以出现介绍的股票基本面很好、技术面已经走熊的状况）");
      }
    } else if (kind === "group") {
      // Members are picked from the roster: each option carries the member's role.
      var picks = form.querySelectorAll("[name=member_ids]"), seen = {};
      var n = 0, backOffice = false, twice = false;
      for (var i = 0; i < picks.length; i++) {
        var opt = picks[i].options[picks[i].selectedIndex];
        if (!picks[i].value) continue;
        if (seen[picks[i].value]) { twice = true; continue; }
        seen[picks[i].value] = true;
        n++;
        if (opt && opt.dataset.role === "back_office") backOffice = true;
      }
      if (twice) out.push("同一员工不能选两次");
      if (n < 2 || n > 3) out.push("每个服务小组 2–3 人（现有 " + n + " 人）");
      if (!backOffice) out.push("每个服务小组至少一名中后台人员");
    } else if (kind === "weights") {
      var total = 0;
      form.querySelectorAll("input[type=number]").forEach(function (el) { total += parseInt(el.value || "0", 10); });
      if (total !== 100) out.push("权重合计须为 100（现为 " + total + "）");
    }
    return out;
  }
  document.querySelectorAll("form[data-check]").forEach(function (form) {
    var box = form.querySelector(".live-check"), button = form.querySelector("button[type=submit]");
    var check = function () {
      var p = problems(form);
      box.hidden = p.length === 0;
      box.textContent = p.join("；");
      button.disabled = p.length > 0;
    };
    form.addEventListener("input", check);
    form.addEventListener("change", check);
    check();
  });
})();
