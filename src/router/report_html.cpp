// `occam report --html`: the report as one self-contained page. Plots are inline SVG horizontal bar charts
// (no script, no external asset: the page is read offline and mailed around); every text that came from
// the log or the caller is escaped, since route and model names are user-controlled.
#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "router/report.h"

namespace occam::router {
namespace {

constexpr const char* kColors[] = {"#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#b07aa1"};

std::string escape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

struct Series {
  std::string name;
  std::vector<double> values;
  std::vector<std::string> texts;  // each value as printed at the end of its bar
};

// Horizontal bars: one group per label, one bar per series, scaled to the largest value.
std::string bar_chart(std::string_view title, const std::vector<std::string>& labels,
                      const std::vector<Series>& series) {
  constexpr double kPlotWidth = 380, kTextWidth = 110, kBar = 14, kGap = 8, kTop = 24;
  // Room for the longest label at ~7 px per character of 12 px text (bytes: close enough for a width).
  size_t longest = 0;
  for (const std::string& l : labels) longest = std::max(longest, l.size());
  const double label_width = std::clamp(7.0 * static_cast<double>(longest) + 12, 120.0, 560.0);
  double max_value = 0;
  for (const Series& s : series)
    for (double v : s.values) max_value = std::max(max_value, v);
  const double group = kBar * static_cast<double>(series.size()) + kGap;
  const double legend = series.size() > 1 ? 18 : 0;
  const double height = kTop + group * static_cast<double>(labels.size()) + legend + 4;
  const double width = label_width + kPlotWidth + kTextWidth;
  std::string svg = fmt::format(
      "<figure><svg role='img' width='{0}' height='{1}' viewBox='0 0 {0} {1}'><title>{2}</title>"
      "<text x='0' y='14' font-weight='bold'>{2}</text>",
      width, height, escape(title));
  for (size_t i = 0; i < labels.size(); ++i) {
    const double y0 = kTop + group * static_cast<double>(i);
    svg += fmt::format("<text x='{:.0f}' y='{:.1f}' text-anchor='end'>{}</text>", label_width - 6,
                       y0 + group / 2 + 1, escape(labels[i]));
    for (size_t s = 0; s < series.size(); ++s) {
      const double v = i < series[s].values.size() ? series[s].values[i] : 0;
      const double w = max_value > 0 ? kPlotWidth * v / max_value : 0;
      const double y = y0 + kBar * static_cast<double>(s);
      svg += fmt::format(
          "<rect x='{:.0f}' y='{:.1f}' width='{:.1f}' height='{:.0f}' fill='{}'><title>{}</title></rect>"
          "<text x='{:.1f}' y='{:.1f}' class='v'>{}</text>",
          label_width, y, w, kBar - 2, kColors[s % std::size(kColors)], escape(series[s].name),
          label_width + w + 4, y + kBar - 4, escape(i < series[s].texts.size() ? series[s].texts[i] : ""));
    }
  }
  if (series.size() > 1) {
    double x = label_width;
    const double y = height - legend;
    for (size_t s = 0; s < series.size(); ++s) {
      svg += fmt::format(
          "<rect x='{:.0f}' y='{:.0f}' width='10' height='10' fill='{}'/>"
          "<text x='{:.0f}' y='{:.0f}'>{}</text>",
          x, y + 2, kColors[s % std::size(kColors)], x + 14, y + 11, escape(series[s].name));
      x += 24 + 7.0 * static_cast<double>(series[s].name.size());
    }
  }
  return svg + "</svg></figure>\n";
}

std::string money(double v) {
  return fmt::format("{:.6f}", v);
}

// Latency histogram over bins 1-2-5 per decade (ms): latencies span µs (rules) to seconds (remote LLMs).
std::string latency_chart(std::span<const store::RequestRecord> records) {
  if (records.empty()) return {};
  std::vector<double> edges;
  for (double decade = 0.1; decade <= 1e6; decade *= 10)
    for (double m : {1.0, 2.0, 5.0}) edges.push_back(decade * m);
  std::vector<int64_t> counts(edges.size() + 1, 0);
  for (const store::RequestRecord& r : records) {
    size_t bin =
        static_cast<size_t>(std::upper_bound(edges.begin(), edges.end(), r.latency_ms) - edges.begin());
    ++counts[bin];
  }
  size_t first = 0, last = counts.size();
  while (first < counts.size() && counts[first] == 0) ++first;
  while (last > first && counts[last - 1] == 0) --last;
  std::vector<std::string> labels;
  Series s{"requests", {}, {}};
  auto edge = [&](size_t i) { return fmt::format("{:g}", edges[i]); };
  for (size_t b = first; b < last; ++b) {
    labels.push_back(b == 0              ? "< " + edge(0) + " ms"
                     : b == edges.size() ? "≥ " + edge(b - 1) + " ms"
                                         : edge(b - 1) + "–" + edge(b) + " ms");
    s.values.push_back(static_cast<double>(counts[b]));
    s.texts.push_back(fmt::format("{}", counts[b]));
  }
  return bar_chart("Latency of requests (histogram)", labels, {s});
}

std::string totals_table(const ReportRow& t) {
  const double saved = t.baseline_cost > 0 ? 1.0 - t.cost / t.baseline_cost : 0.0;
  struct Item {
    const char* key;
    const char* name;
    double value;
    std::string shown;
  };
  const Item items[] = {
      {"requests", "requests", static_cast<double>(t.requests), fmt::format("{}", t.requests)},
      {"prompt_tokens", "prompt tokens", static_cast<double>(t.prompt_tokens),
       fmt::format("{}", t.prompt_tokens)},
      {"completion_tokens", "completion tokens", static_cast<double>(t.completion_tokens),
       fmt::format("{}", t.completion_tokens)},
      {"cost", "cost (€)", t.cost, money(t.cost)},
      {"baseline_cost", "all-LLM baseline cost (€)", t.baseline_cost, money(t.baseline_cost)},
      {"saved", "saved against the baseline", saved, fmt::format("{:.1f} %", 100 * saved)},
      {"energy_j", "energy (J)", t.energy_j, fmt::format("{:.3f}", t.energy_j)},
      {"latency_ms", "latency, summed (ms)", t.latency_ms, fmt::format("{:.1f}", t.latency_ms)},
      {"p50_ms", "latency p50 (ms)", t.p50_ms, fmt::format("{:.2f}", t.p50_ms)},
      {"p95_ms", "latency p95 (ms)", t.p95_ms, fmt::format("{:.2f}", t.p95_ms)},
      {"escalation_rate", "escalated", t.escalation_rate, fmt::format("{:.1f} %", 100 * t.escalation_rate)},
  };
  std::string out = "<table id='totals'><tr><th>total</th><th>value</th></tr>";
  for (const Item& i : items) {
    out += fmt::format("<tr data-key='{}' data-value='{:.17g}'><td>{}</td><td class='n'>{}</td></tr>", i.key,
                       i.value, i.name, i.shown);
  }
  return out + "</table>\n";
}

std::string rows_table(const Report& report) {
  std::string out =
      "<table id='rows'><tr><th>route</th><th>tier</th><th>requests</th><th>share</th><th>p50 ms</th>"
      "<th>p95 ms</th><th>cost €</th><th>baseline €</th><th>saved</th><th>energy J</th><th>escalated</th>"
      "<th>verify fail</th></tr>";
  auto line = [&](const ReportRow& r, const char* cls) {
    const double saved = r.baseline_cost > 0 ? 1.0 - r.cost / r.baseline_cost : 0.0;
    out += fmt::format(
        "<tr class='{}'><td>{}</td><td>{}</td><td class='n'>{}</td><td class='n'>{:.1f} %</td>"
        "<td class='n'>{:.2f}</td><td class='n'>{:.2f}</td><td class='n'>{}</td><td class='n'>{}</td>"
        "<td class='n'>{:.1f} %</td><td class='n'>{:.3f}</td><td class='n'>{:.1f} %</td>"
        "<td class='n'>{:.1f} %</td></tr>",
        cls, escape(r.route), escape(r.tier), r.requests, 100 * r.share, r.p50_ms, r.p95_ms, money(r.cost),
        money(r.baseline_cost), 100 * saved, r.energy_j, 100 * r.escalation_rate,
        100 * r.verify_failure_rate);
  };
  for (const ReportRow& r : report.rows) line(r, r.tier == "*" ? "sub" : "");
  line(report.total, "total");
  return out + "</table>\n";
}

std::string tier_charts(const Report& report) {
  std::vector<std::string> labels;
  Series requests{"requests", {}, {}}, energy{"energy (J)", {}, {}};
  for (const ReportRow& r : report.rows) {
    if (r.tier == "*") continue;
    labels.push_back(r.route + " / " + r.tier);
    requests.values.push_back(static_cast<double>(r.requests));
    requests.texts.push_back(fmt::format("{} ({:.0f} %)", r.requests, 100 * r.share));
    energy.values.push_back(r.energy_j);
    energy.texts.push_back(fmt::format("{:.2f} J", r.energy_j));
  }
  std::vector<std::string> routes;
  Series cost{"cost", {}, {}}, baseline{"all-LLM baseline", {}, {}};
  auto add_cost = [&](std::string label, const ReportRow& r) {
    routes.push_back(std::move(label));
    cost.values.push_back(r.cost);
    cost.texts.push_back(money(r.cost) + " €");
    baseline.values.push_back(r.baseline_cost);
    baseline.texts.push_back(money(r.baseline_cost) + " €");
  };
  for (const ReportRow& r : report.rows) {
    if (r.tier == "*") add_cost(r.route, r);
  }
  add_cost("total", report.total);
  return bar_chart("Requests per route and answering tier", labels, {requests}) +
         bar_chart("Cost against the all-LLM baseline", routes, {cost, baseline}) +
         bar_chart("Energy per route and answering tier", labels, {energy});
}

std::string step_tiers_chart(const std::map<std::string, int64_t>& step_tiers) {
  if (step_tiers.empty()) return {};
  std::vector<std::string> labels;
  Series steps{"workflow steps", {}, {}};
  int64_t total = 0;
  for (const auto& [tier, n] : step_tiers) total += n;
  for (const auto& [tier, n] : step_tiers) {
    labels.push_back(tier);
    steps.values.push_back(static_cast<double>(n));
    steps.texts.push_back(fmt::format(
        "{} ({:.0f} %)", n, total ? 100.0 * static_cast<double>(n) / static_cast<double>(total) : 0));
  }
  return "<h2>Workflow steps by tier</h2><p>Every step of every run, by what answered it. Rules and classic "
         "steps run in the workflow and never reach the request log; a model step is counted under the route "
         "or "
         "model the workflow called, and the request log above says which tier answered it.</p>" +
         bar_chart("Workflow steps per tier", labels, {steps});
}

std::string accuracy_section(const std::vector<HtmlAccuracy>& accuracy) {
  if (accuracy.empty()) return {};
  std::string table =
      "<table id='accuracy'><tr><th>check</th><th>correct</th><th>total</th><th>accuracy</th></tr>";
  std::vector<std::string> labels;
  Series s{"accuracy", {}, {}};
  for (const HtmlAccuracy& a : accuracy) {
    const double rate = a.total ? static_cast<double>(a.correct) / static_cast<double>(a.total) : 0;
    table += fmt::format(
        "<tr><td>{}</td><td class='n'>{}</td><td class='n'>{}</td><td class='n'>{:.1f} %</td></tr>",
        escape(a.name), a.correct, a.total, 100 * rate);
    labels.push_back(a.name);
    s.values.push_back(rate);
    s.texts.push_back(fmt::format("{:.1f} % of {}", 100 * rate, a.total));
  }
  return "<h2>Accuracy where labels exist</h2>" + table + "</table>\n" + bar_chart("Accuracy", labels, {s});
}

}  // namespace

std::string report_html(const Report& report, std::span<const store::RequestRecord> records,
                        const HtmlExtras& extras) {
  const ReportRow& t = report.total;
  const double saved = t.baseline_cost > 0 ? 1.0 - t.cost / t.baseline_cost : 0.0;
  std::string notes;
  for (const std::string& n : extras.notes) notes += "<li>" + escape(n) + "</li>";
  std::string page = fmt::format(
      "<!doctype html>\n<html lang='en'><head><meta charset='utf-8'><title>{0}</title><style>"
      "body{{font:14px system-ui,sans-serif;margin:2em;max-width:64em;color:#222}}"
      "table{{border-collapse:collapse;margin:1em 0}}td,th{{border:1px solid #ccc;padding:3px 8px}}"
      "th{{background:#f3f3f3}}td.n{{text-align:right;font-variant-numeric:tabular-nums}}"
      "tr.sub td{{background:#fafafa}}tr.total td{{font-weight:bold}}"
      "svg text{{font-size:12px}}svg text.v{{fill:#444}}figure{{margin:1em 0}}"
      "</style></head><body>\n<h1>{0}</h1>\n<p>{1}{2} requests: cost {3} € against {4} € for the all-LLM "
      "baseline ({5:.1f} % saved), {6:.3f} J, latency p50 {7:.2f} ms / p95 {8:.2f} ms.</p>\n",
      escape(extras.title),
      extras.source.empty() ? "" : "From <code>" + escape(extras.source) + "</code>: ", t.requests,
      money(t.cost), money(t.baseline_cost), 100 * saved, t.energy_j, t.p50_ms, t.p95_ms);
  if (!notes.empty()) page += "<ul class='notes'>" + notes + "</ul>\n";
  page += "<h2>Totals</h2>" + totals_table(t);
  page += "<h2>Per route and tier</h2>" + rows_table(report);
  page += tier_charts(report) + latency_chart(records);
  page += step_tiers_chart(extras.step_tiers);
  page += accuracy_section(extras.accuracy);
  return page + "</body></html>\n";
}

}  // namespace occam::router
