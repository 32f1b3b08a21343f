/* Catalog charts with the vendored ECharts: a bundle's dependency graph and before/after
   bars. Each chart element names the json_script block holding its data:
   <div data-tb-chart="graph|bars|hbars" data-source="element id">. The pages show the same
   facts as tables, so nothing is lost without JavaScript. */
(function () {
  "use strict";
  var CRITICAL = "#d63384";
  var NORMAL = "#0d6efd";
  var MUTED = "#6c757d";

  function read(id) {
    var el = document.getElementById(id);
    return el ? JSON.parse(el.textContent) : null;
  }

  function graph(chart, d) {
    chart.setOption({
      animation: false,
      tooltip: {
        formatter: function (p) {
          return p.dataType === "node" ? p.data.title + "<br>" + p.data.promise : "";
        }
      },
      series: [{
        type: "graph",
        layout: "none",
        roam: true,
        top: 20, bottom: 50, left: 80, right: 80,
        edgeSymbol: ["none", "arrow"],
        edgeSymbolSize: 10,
        symbolSize: 20,
        label: {
          show: true,
          position: "bottom",
          width: 130,
          overflow: "break",
          color: "#212529",
          backgroundColor: "rgba(255, 255, 255, 0.85)",
          padding: [2, 4],
          lineHeight: 16,
          formatter: function (p) { return p.data.title + "\n" + p.data.promise; }
        },
        data: d.nodes.map(function (n) {
          var colour = n.critical ? CRITICAL : NORMAL;
          return {
            name: n.id,
            title: n.name,
            promise: n.promise,
            x: n.x,
            y: n.y,
            // Filled: always handled; hollow: handled only in some situations.
            itemStyle: n.conditional
              ? { color: "#fff", borderColor: colour, borderWidth: 3 }
              : { color: colour, borderColor: "#fff", borderWidth: 2 }
          };
        }),
        links: d.edges.map(function (e) {
          return {
            source: e.source,
            target: e.target,
            lineStyle: { color: e.critical ? CRITICAL : MUTED, width: e.critical ? 3 : 1.5, opacity: 0.9 }
          };
        })
      }]
    });
  }

  function bars(chart, d, horizontal) {
    var category = { type: "category", data: d.categories, axisLabel: { interval: 0, width: horizontal ? 140 : 80, overflow: "break" } };
    var value = { type: "value" };
    chart.setOption({
      animation: false,
      tooltip: { trigger: "axis" },
      legend: { top: 0 },
      grid: { top: 36, bottom: 10, left: 10, right: 20, containLabel: true },
      xAxis: horizontal ? value : category,
      yAxis: horizontal ? Object.assign(category, { inverse: true }) : value,
      series: [
        { name: "办理前（逐项办理）", type: "bar", data: d.before, itemStyle: { color: "#adb5bd" } },
        { name: "一件事一次办", type: "bar", data: d.after, itemStyle: { color: NORMAL },
          label: { show: true, position: horizontal ? "right" : "top" } }
      ]
    });
  }

  function init() {
    if (typeof echarts === "undefined") { return; }
    var charts = [];
    document.querySelectorAll("[data-tb-chart]").forEach(function (el) {
      var d = read(el.dataset.source);
      if (!d) { return; }
      var chart = echarts.init(el);
      var kind = el.dataset.tbChart;
      if (kind === "graph") { graph(chart, d); } else { bars(chart, d, kind === "hbars"); }
      el.dataset.ready = "1";
      charts.push(chart);
    });
    window.addEventListener("resize", function () {
      charts.forEach(function (c) { c.resize(); });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
