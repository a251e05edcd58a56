// Progressive enhancement: the page is complete without this script.
(() => {
  "use strict";
  const tables = Array.from(document.querySelectorAll("table.filterable"));
  const bar = document.getElementById("filter-bar");
  const box = document.getElementById("filter");
  const count = document.getElementById("filter-count");
  const filter = () => {
    const query = box.value.trim().toLowerCase();
    let shown = 0;
    let total = 0;
    for (const table of tables) {
      for (const row of table.tBodies[0].rows) {
        row.hidden = query !== "" && !row.dataset.search.includes(query);
        total += 1;
        shown += row.hidden ? 0 : 1;
      }
    }
    count.value = query ? `${shown} of ${total} rows` : "";
  };
  if (bar && box && tables.length) {
    bar.hidden = false;
    box.addEventListener("input", filter);
    filter();
  }
  for (const table of document.querySelectorAll("table.sortable")) {
    const heads = Array.from(table.tHead.rows[0].cells);
    heads.forEach((th, column) => {
      const numeric = th.dataset.type === "number";
      const sort = () => {
        const was = th.getAttribute("aria-sort");
        const ascending = was ? was === "descending" : !numeric;
        for (const h of heads) h.removeAttribute("aria-sort");
        th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
        const key = (row) => {
          const cell = row.cells[column];
          return cell.dataset.sort !== undefined ? cell.dataset.sort : cell.textContent.trim();
        };
        const body = table.tBodies[0];
        const rows = Array.from(body.rows);
        rows.sort((a, b) => {
          const x = key(a);
          const y = key(b);
          const d = numeric ? Number(x) - Number(y) : x.localeCompare(y, "en", { numeric: true });
          return ascending ? d : -d;
        });
        for (const row of rows) body.appendChild(row);
      };
      th.classList.add("sort");
      th.tabIndex = 0;
      th.addEventListener("click", sort);
      th.addEventListener("keydown", (event) => {
        if (event.key === "Enter" || event.key === " ") {
          event.preventDefault();
          sort();
        }
      });
    });
  }
})();
