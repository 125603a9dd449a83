// [event]: the ceremony's title, venue, day and UTC offset.
#include "config/ConfigTables.h"

#include <chrono>
#include <cstdio>

namespace ceremony::reading {

void readEvent(Reading& run, const toml::node* n) {
  if (!n) {
    run.ctx.error({}, "there is no [event] table: give the ceremony's title and date");
    run.date = Date{};
    return;
  }
  const toml::table* t = expectTable(run.ctx, n, "[event]", "[event] with title = … and date = …");
  if (!t) {
    run.date = Date{};
    return;
  }
  Fields f(run.ctx, *t, "[event]");
  EventInfo& e = run.config.event;
  if (auto v = f.requiredText("title", " (the ceremony's name, shown on slates)")) e.title = *v;
  if (auto v = f.text("venue")) e.venue = *v;

  if (const toml::node* d = f.take("date")) {
    if (const auto* s = d->as_string()) {
      run.date = parseDate(s->get());
      if (!run.date)
        run.ctx.error(positionOf(*d), "[event] date " + inQuotes(s->get()) +
                                          " is not a date; write it as \"2025-07-28\"");
      else
        e.date = s->get();
    } else if (const auto* dv = d->as_date()) {
      const toml::date& td = dv->get();
      std::chrono::year_month_day ymd{std::chrono::year{td.year}, std::chrono::month{td.month},
                                      std::chrono::day{td.day}};
      if (ymd.ok()) {
        run.date = Date{ymd};
        char buf[16];
        std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", static_cast<int>(td.year),
                      static_cast<unsigned>(td.month), static_cast<unsigned>(td.day));
        e.date = buf;
      } else {
        run.ctx.error(positionOf(*d), "[event] date " + shown(*d) + " is not a real day");
      }
    } else {
      f.typeError(*d, "date", "a date like \"2025-07-28\"");
    }
  } else {
    run.ctx.error(f.pos(),
                  "[event] has no date (write date = \"2025-07-28\"); the timeline's "
                  "clock times are on that day");
  }
  if (!run.date) run.date = Date{};  // keep checking the rest; the error is already reported

  if (const toml::node* z = f.take("timezone")) {
    if (const auto* s = z->as_string()) {
      if (auto off = parseUtcOffset(s->get()))
        e.utcOffsetMinutes = *off;
      else
        run.ctx.error(positionOf(*z), "[event] timezone " + inQuotes(s->get()) +
                                          " is not a UTC offset; write it as \"+07:00\"");
    } else {
      f.typeError(*z, "timezone", "a UTC offset like \"+07:00\"");
    }
  }
  f.reportUnread({"title", "date", "timezone", "venue"});
}

}  // namespace ceremony::reading
