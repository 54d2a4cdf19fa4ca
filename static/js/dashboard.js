/* Dashboards (看板): every element with data-chart is drawn with the vendored Apache ECharts.
 *
 * Each chart's figures come from a <script type="application/json"> block written by Django's
 * json_script (the id is in the element's data-source), so the pages need no inline script and
 * the CSP stays strict. The page computes everything; this file only draws. A chart's spec:
 *   kind        "pie" | "bar" | "hbar" | "line" | "gauge"
 *   categories  the x (or y) axis labels                        (bar, hbar, line)
 *   series      [{name, data, color, stack, dashed, urls}]      (bar, hbar, line)
 *   items       [{name, value, color, url}]                     (pie)
 *   value, name, url                                            (gauge)
 *   urls        one link per category: a click opens the list behind it
 *   unit        "%" when the values are percentages
 *   mark        {value, label}: a reference line (序时进度, target)
 * The HTML tooltip writes style="" attributes, which the CSP forbids: tooltips are rich text. */
(function () {
  "use strict";

  var FONT = '"Noto Sans CJK SC", "Microsoft YaHei", "PingFang SC", sans-serif';
  var AXIS = { line: "#c9d1dc", label: "#4b5563", split: "#eceff3" };
  var charts = [];

  function suffix(spec) {
    return spec.unit || "";
  }

  function shown(value, spec) {
    return value === null || value === undefined ? "—" : value + suffix(spec);
  }

  function axisTooltip(spec) {
    return {
      trigger: "axis",
      renderMode: "richText",
      axisPointer: { type: spec.kind === "line" ? "line" : "shadow" },
      formatter: function (rows) {
        var lines = [rows[0].name];
        rows.forEach(function (row) { lines.push(row.seriesName + "：" + shown(row.value, spec)); });
        return lines.join("\n");
      }
    };
  }

  function markLine(spec) {
    if (!spec.mark) {
      return undefined;
    }
    return {
      silent: true,
      symbol: "none",
      lineStyle: { color: "#8a5a00", type: "dashed", width: 1.5 },
      label: { formatter: spec.mark.label, color: "#8a5a00", fontSize: 11, position: "insideEndTop" },
      data: [spec.kind === "hbar" ? { xAxis: spec.mark.value } : { yAxis: spec.mark.value }]
    };
  }

  function valueAxis(spec) {
    var axis = {
      type: "value",
      minInterval: 1,
      axisLabel: { color: AXIS.label, formatter: "{value}" + suffix(spec) },
      splitLine: { lineStyle: { color: AXIS.split } }
    };
    if (spec.unit === "%") {
      axis.min = 0;
      axis.max = 100;
    }
    return axis;
  }

  /* A trend's axis fits its values and its reference line (the target), whichever is further. */
  function trendAxis(spec) {
    var mark = spec.mark ? spec.mark.value : null;
    return {
      type: "value",
      scale: true,
      min: function (extent) { return mark === null ? extent.min : Math.min(extent.min, mark); },
      max: function (extent) { return mark === null ? extent.max : Math.max(extent.max, mark); },
      axisLabel: { color: AXIS.label },
      splitLine: { lineStyle: { color: AXIS.split } }
    };
  }

  function categoryAxis(spec, vertical) {
    return {
      type: "category",
      data: spec.categories,
      inverse: vertical,
      axisTick: { show: false },
      axisLine: { lineStyle: { color: AXIS.line } },
      axisLabel: vertical
        ? { color: "#1f2937", fontSize: 12, width: 170, overflow: "truncate" }
        : { color: AXIS.label, fontSize: 11, interval: spec.categories.length <= 8 ? 0 : "auto",
            hideOverlap: spec.categories.length > 8 }
    };
  }

  function seriesOf(spec, type) {
    return spec.series.map(function (one, index) {
      var series = {
        type: type,
        name: one.name,
        data: one.data,
        stack: one.stack,
        cursor: "pointer",
        itemStyle: { color: one.color },
        markLine: index === 0 ? markLine(spec) : undefined
      };
      if (type === "bar") {
        series.barMaxWidth = 16;
        series.label = { show: !one.stack, position: spec.kind === "hbar" ? "right" : "top", fontSize: 11,
                         color: "#1f2937", formatter: function (p) { return shown(p.value, spec); } };
      } else {
        series.connectNulls = true;
        series.symbolSize = 5;
        series.lineStyle = { color: one.color, width: 2, type: one.dashed ? "dashed" : "solid" };
      }
      return series;
    });
  }

  var BUILD = {
    pie: function (spec) {
      return {
        tooltip: { trigger: "item", renderMode: "richText", formatter: "{b}：{c}（{d}%）" },
        legend: { bottom: 0, icon: "circle", itemWidth: 10, itemHeight: 10 },
        series: [{
          type: "pie",
          radius: ["45%", "72%"],
          center: ["50%", "45%"],
          cursor: "pointer",
          label: { formatter: "{b}\n{c}", fontSize: 12 },
          data: spec.items.map(function (item) {
            return { name: item.name, value: item.value, itemStyle: { color: item.color } };
          })
        }]
      };
    },
    bar: function (spec) {
      return {
        tooltip: axisTooltip(spec),
        legend: spec.series.length > 1 ? { bottom: 0 } : undefined,
        grid: { left: 8, right: 16, top: 24, bottom: spec.series.length > 1 ? 28 : 8, containLabel: true },
        xAxis: categoryAxis(spec, false),
        yAxis: valueAxis(spec),
        series: seriesOf(spec, "bar")
      };
    },
    hbar: function (spec) {
      return {
        tooltip: axisTooltip(spec),
        legend: spec.series.length > 1 ? { top: 0 } : undefined,
        grid: { left: 8, right: 40, top: spec.series.length > 1 ? 26 : 4, bottom: 4, containLabel: true },
        xAxis: valueAxis(spec),
        yAxis: categoryAxis(spec, true),
        series: seriesOf(spec, "bar")
      };
    },
    line: function (spec) {
      return {
        tooltip: axisTooltip(spec),
        legend: spec.series.length > 1 ? { bottom: 0 } : undefined,
        grid: { left: 8, right: 24, top: 24, bottom: spec.series.length > 1 ? 28 : 8, containLabel: true },
        xAxis: categoryAxis(spec, false),
        yAxis: spec.unit === "%" ? valueAxis(spec) : trendAxis(spec),
        series: seriesOf(spec, "line")
      };
    },
    gauge: function (spec) {
      return {
        series: [{
          type: "gauge",
          min: 0,
          max: 100,
          cursor: "pointer",
          progress: { show: true, width: 14, itemStyle: { color: "#1a4d8f" } },
          axisLine: { lineStyle: { width: 14, color: [[1, "#e5e9f0"]] } },
          axisTick: { show: false },
          splitLine: { length: 8, lineStyle: { color: "#9aa3af" } },
          axisLabel: { distance: 18, color: AXIS.label, fontSize: 11 },
          pointer: { show: false },
          title: { offsetCenter: [0, "62%"], fontSize: 13, color: "#4b5563" },
          detail: { offsetCenter: [0, "18%"], fontSize: 26, fontWeight: "bold", color: "#1f2937",
                    formatter: function (value) { return spec.value === null ? "—" : value + "%"; } },
          data: [{ name: spec.name, value: spec.value === null ? 0 : spec.value }]
        }]
      };
    }
  };

  /* Where a click on a mark leads: the item's, the series' or the category's list. */
  function target(spec, params) {
    if (spec.kind === "pie") {
      return (spec.items[params.dataIndex] || {}).url;
    }
    if (spec.kind === "gauge") {
      return spec.url;
    }
    var series = spec.series[params.seriesIndex] || {};
    if (series.urls) {
      return series.urls[params.dataIndex];
    }
    return spec.urls ? spec.urls[params.dataIndex] : undefined;
  }

  function draw(container) {
    var source = document.getElementById(container.getAttribute("data-source"));
    if (!source) {
      return;
    }
    var spec = JSON.parse(source.textContent);
    var build = BUILD[spec.kind];
    if (!build) {
      return;
    }
    var option = build(spec);
    option.animation = false;
    option.textStyle = { fontFamily: FONT };
    var chart = window.echarts.init(container, null, { renderer: "canvas" });
    chart.setOption(option);
    chart.on("click", function (params) {
      var url = target(spec, params);
      if (url) {
        window.location.assign(url);
      }
    });
    charts.push(chart);
  }

  /* The month switcher submits itself when a month is chosen (the button stays for keyboards and
   * for pages without JavaScript). */
  function autoSubmit() {
    document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
      select.addEventListener("change", function () { select.form.submit(); });
    });
  }

  function render() {
    autoSubmit();
    if (typeof window.echarts === "undefined") {
      return;
    }
    document.querySelectorAll("[data-chart]").forEach(draw);
    window.addEventListener("resize", function () {
      charts.forEach(function (chart) { chart.resize(); });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", render);
  } else {
    render();
  }
})();
