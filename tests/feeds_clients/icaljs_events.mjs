// Reads an .ics on stdin, parses it with Mozilla's ical.js (Thunderbird's parser) and prints
// {"name": ..., "events": [{uid, summary, location, description, sequence, start, end}]}
// with start/end as UTC ISO strings. Times are resolved with the feed's own VTIMEZONEs only.
import { readFileSync } from "node:fs";
import ICAL from "ical.js";

const text = readFileSync(0, "utf8");
const calendar = new ICAL.Component(ICAL.parse(text));
for (const vtimezone of calendar.getAllSubcomponents("vtimezone")) {
  ICAL.TimezoneService.register(new ICAL.Timezone(vtimezone));
}

function utc(time, uid) {
  // A TZID without its VTIMEZONE would silently become floating time: refuse it.
  if (time.zone === ICAL.Timezone.localTimezone || time.zone == null) {
    throw new Error(`event ${uid}: time ${time.toString()} has no resolvable timezone`);
  }
  return time.convertToZone(ICAL.Timezone.utcTimezone).toJSDate().toISOString();
}

const events = calendar.getAllSubcomponents("vevent").map((vevent) => {
  const event = new ICAL.Event(vevent);
  return {
    uid: event.uid,
    summary: event.summary,
    location: event.location,
    description: event.description,
    sequence: event.sequence,
    start: utc(event.startDate, event.uid),
    end: utc(event.endDate, event.uid),
  };
});
const name = calendar.getFirstPropertyValue("x-wr-calname");
process.stdout.write(JSON.stringify({ name, events }));
