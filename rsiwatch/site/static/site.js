// Filters for the published catalog: a small enhancement over a table that is complete without it.
(function () {
  "use strict";
  var form = document.getElementById("filters");
  var table = document.getElementById("catalog");
  if (!form || !table) return;
  var category = document.getElementById("filter-category");
  var year = document.getElementById("filter-year");
  var text = document.getElementById("filter-text");
  var count = document.getElementById("filter-count");
  var rows = Array.prototype.slice.call(table.tBodies[0].rows);
  var texts = rows.map(function (row) { return row.textContent.toLowerCase(); });

  function apply() {
    var c = category.value, y = year.value, words = text.value.toLowerCase().split(/\s+/).filter(Boolean);
    var shown = 0;
    rows.forEach(function (row, i) {
      var ok = (!c || row.dataset.category === c) && (!y || row.dataset.year === y) &&
        words.every(function (w) { return texts[i].indexOf(w) !== -1; });
      row.hidden = !ok;
      if (ok) shown += 1;
    });
    count.textContent = shown + " of " + rows.length + " entries";
  }

  form.addEventListener("input", apply);
  form.addEventListener("change", apply);
  form.addEventListener("submit", function (event) { event.preventDefault(); });
  form.hidden = false;
  apply();
})();
