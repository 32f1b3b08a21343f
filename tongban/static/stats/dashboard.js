/* The statistics dashboard's charts with the vendored ECharts. Each chart element names the
   json_script block holding its data: <div data-tb-stats-chart="line|bar|pie"
   data-source="element id">. Every chart's facts are also on the page as a table, so
   nothing is lost without JavaScript. Charts follow the window's size (phones included). */
(function () {
  "use strict";
  var COLOURS = ["#0d6efd", "#20c997", "#fd7e14", "#6f42c1", "#d63384", "#6c757d", "#ffc107"];

  function read(id) {
    var el = document.getElementById(id);
    return el ? JSON.parse(el.textContent) : null;
  }

  function line(d) {
    return {
      color: COLOURS,
      tooltip: { trigger: "axis" },
      legend: { top: 0 },
      grid: { top: 36, bottom: 10, left: 10, right: 16, containLabel: true },
      xAxis: { type: "category", boundaryGap: false, data: d.categories },
      yAxis: { type: "value", minInterval: 1 },
      series: d.series.map(function (s) {
        return { name: s.name, type: "line", data: s.data, showSymbol: d.categories.length <= 31 };
      })
    };
  }

  function bar(d) {
    return {
      color: COLOURS,
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
      legend: { top: 0, type: "scroll" },
      grid: { top: 36, bottom: 10, left: 10, right: 16, containLabel: true },
      xAxis: { type: "value", minInterval: 1 },
      yAxis: {
        type: "category", inverse: true, data: d.categories,
        axisLabel: { width: 110, overflow: "truncate" }
      },
      series: d.series.map(function (s) {
        return { name: s.name, type: "bar", stack: "open", data: s.data };
      })
    };
  }

  function pie(d) {
    return {
      color: COLOURS,
      tooltip: { trigger: "item", formatter: "{b}：{c}（{d}%）" },
      legend: { bottom: 0, type: "scroll" },
      series: d.series.map(function (s) {
        return {
          name: s.name, type: "pie", radius: ["40%", "68%"], center: ["50%", "45%"],
          data: s.data, label: { formatter: "{b}\n{d}%" }
        };
      })
    };
  }

  var BUILD = { line: line, bar: bar, pie: pie };
  var charts = [];

  function init(root) {
    if (typeof echarts === "undefined") { return; }
    root.querySelectorAll("[data-tb-stats-chart]").forEach(function (el) {
      var d = read(el.dataset.source);
      var build = BUILD[el.dataset.tbStatsChart];
      if (!d || !build || el.dataset.ready) { return; }
      var chart = echarts.init(el);
      var option = build(d);
      option.animation = false;
      chart.setOption(option);
      el.dataset.ready = "1";
      charts.push(chart);
    });
  }

  var pending = null;
  window.addEventListener("resize", function () {
    if (pending) { window.clearTimeout(pending); }
    pending = window.setTimeout(function () {
      charts.forEach(function (c) { if (!c.isDisposed()) { c.resize(); } });
    }, 100);
  });
  document.addEventListener("htmx:afterSettle", function (event) { init(event.target); });

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { init(document); });
  } else {
    init(document);
  }
})();
