/* The Domains index's filter box: type part of a name, the list keeps only the matching rows;
   Enter opens the first one left. Material's instant navigation swaps pages without a reload,
   so the box is set up on each page Material announces (document$), not once. */
(function () {
  function setUp() {
    var box = document.getElementById("mf-filter");
    var list = document.getElementById("mf-domains-list");
    if (!box || !list || box.dataset.ready) return;
    box.dataset.ready = "1";
    var rows = Array.prototype.slice.call(list.querySelectorAll("tbody tr"));
    var count = document.getElementById("mf-filter-count");
    function apply() {
      var words = box.value.toLowerCase().split(/\s+/).filter(Boolean);
      var shown = 0;
      rows.forEach(function (row) {
        var hay = row.getAttribute("data-filter") || "";
        var hit = words.every(function (w) { return hay.indexOf(w) !== -1; });
        row.hidden = !hit;
        if (hit) shown += 1;
      });
      if (count) count.textContent = words.length ? shown + " of " + rows.length + " shown" : "";
    }
    box.addEventListener("input", apply);
    box.addEventListener("keydown", function (event) {
      if (event.key !== "Enter") return;
      var first = rows.filter(function (row) { return !row.hidden; })[0];
      var link = first && first.querySelector("a.mf-domain");
      if (link) { event.preventDefault(); link.click(); }
    });
    apply();
    box.focus({preventScroll: true});
  }
  if (typeof document$ !== "undefined" && document$.subscribe) {
    document$.subscribe(setUp);
  } else {
    document.addEventListener("DOMContentLoaded", setUp);
  }
})();
