package nf

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Cron is a five-field cron schedule (minute hour day-of-month month day-of-week) in a
// time zone. Fields take `*`, numbers, ranges `a-b`, lists `a,b` and steps `*/n`, `a-b/n`;
// day-of-week 0 and 7 are Sunday. As in Vixie cron, when both day fields are restricted
// a day matches either.
type Cron struct {
	minute, hour, dom, month, dow uint64
	domStar, dowStar              bool
	loc                           *time.Location
	Spec                          string
	every                         time.Duration // @every: ticks at the multiples of every
}

// descriptors are the named schedules ParseCron accepts besides five fields.
var descriptors = map[string]string{
	"@yearly":   "0 0 1 1 *",
	"@annually": "0 0 1 1 *",
	"@monthly":  "0 0 1 * *",
	"@weekly":   "0 0 * * 0",
	"@daily":    "0 0 * * *",
	"@midnight": "0 0 * * *",
	"@hourly":   "0 * * * *",
}

// ParseCron parses spec in the time zone tz (an IANA name; "" is UTC). Besides five
// fields it accepts @hourly, @daily (@midnight), @weekly, @monthly, @yearly (@annually)
// and @every D (a Go duration of at least one second, e.g. @every 15m): the ticks of
// @every fall on the multiples of D since the Unix epoch, so every replica of an app
// computes the same ones (the schedule leases are per tick).
func ParseCron(spec, tz string) (*Cron, error) {
	loc := time.UTC
	if tz != "" && tz != "UTC" {
		l, err := time.LoadLocation(tz)
		if err != nil {
			return nil, fmt.Errorf("time zone %q is not in the IANA time zone database", tz)
		}
		loc = l
	}
	if rest, ok := strings.CutPrefix(strings.TrimSpace(spec), "@every "); ok {
		d, err := time.ParseDuration(strings.TrimSpace(rest))
		if err != nil || d < time.Second {
			return nil, fmt.Errorf("cron %q: @every wants a duration of at least 1s", spec)
		}
		return &Cron{loc: loc, Spec: spec, every: d}, nil
	}
	text := spec
	if named, ok := descriptors[strings.TrimSpace(spec)]; ok {
		text = named
	}
	fields := strings.Fields(text)
	if len(fields) != 5 {
		return nil, fmt.Errorf("cron %q: want 5 fields (minute hour day-of-month month day-of-week) or @hourly, @daily, @weekly, @monthly, @yearly, @every D; got %d", spec, len(fields))
	}
	c := &Cron{loc: loc, Spec: spec}
	var err error
	bounds := [5][2]int{{0, 59}, {0, 23}, {1, 31}, {1, 12}, {0, 7}}
	out := [5]*uint64{&c.minute, &c.hour, &c.dom, &c.month, &c.dow}
	for i, f := range fields {
		if *out[i], err = cronField(f, bounds[i][0], bounds[i][1]); err != nil {
			return nil, fmt.Errorf("cron %q: field %d: %w", spec, i+1, err)
		}
	}
	if c.dow&(1<<7) != 0 {
		c.dow |= 1
	}
	c.domStar = fields[2] == "*"
	c.dowStar = fields[4] == "*"
	return c, nil
}

// MustCron is ParseCron for tests: it panics on a bad schedule. Apps never call it: their
// jobs carry the schedule's text, which Serve parses at start-up (see PrepareJobs).
func MustCron(spec, tz string) *Cron {
	c, err := ParseCron(spec, tz)
	if err != nil {
		panic(err)
	}
	return c
}

// Location is the time zone the schedule is read in (also for @every, whose ticks do not
// depend on it: the execution's local time is given in it).
func (c *Cron) Location() *time.Location { return c.loc }

// ScheduleTimes is a schedule trigger's output for a tick at t: the time in UTC
// ("2006-01-02T15:04:05Z"), in the schedule's zone (RFC 3339 with the zone's offset) and
// the zone's name.
func ScheduleTimes(t time.Time, loc *time.Location) (utc, local, zone string) {
	return t.UTC().Format("2006-01-02T15:04:05Z"), t.In(loc).Format(time.RFC3339), loc.String()
}

// ScheduleInput is a schedule trigger's output for a manual run (`app run`, flow tests):
// the input's "time" (RFC 3339; now when absent) in UTC and in the zone tz. A time that
// does not parse is passed on as given, for the trigger's schema check to report.
func ScheduleInput(in map[string]any, tz string) map[string]any {
	loc := time.UTC
	if tz != "" && tz != "UTC" {
		l, err := time.LoadLocation(tz)
		if err != nil {
			panic(Errorf("time zone %q is not in the IANA time zone database", tz))
		}
		loc = l
	}
	given, ok := in["time"]
	if !ok {
		given = Now()
	}
	text, isText := given.(string)
	t, err := time.Parse(time.RFC3339Nano, text)
	if !isText || err != nil {
		return map[string]any{"time": given, "local_time": given, "timezone": loc.String()}
	}
	utc, local, zone := ScheduleTimes(t, loc)
	return map[string]any{"time": utc, "local_time": local, "timezone": zone}
}

func cronField(f string, lo, hi int) (uint64, error) {
	var bits uint64
	for _, part := range strings.Split(f, ",") {
		step := 1
		if i := strings.IndexByte(part, '/'); i >= 0 {
			n, err := strconv.Atoi(part[i+1:])
			if err != nil || n <= 0 {
				return 0, fmt.Errorf("bad step in %q", part)
			}
			step, part = n, part[:i]
		}
		a, b := lo, hi
		if part != "*" {
			if i := strings.IndexByte(part, '-'); i >= 0 {
				x, err1 := strconv.Atoi(part[:i])
				y, err2 := strconv.Atoi(part[i+1:])
				if err1 != nil || err2 != nil {
					return 0, fmt.Errorf("bad range %q", part)
				}
				a, b = x, y
			} else {
				x, err := strconv.Atoi(part)
				if err != nil {
					return 0, fmt.Errorf("bad value %q", part)
				}
				a, b = x, x
				if step > 1 {
					b = hi
				}
			}
		}
		if a < lo || b > hi || a > b {
			return 0, fmt.Errorf("%q is out of range %d-%d", part, lo, hi)
		}
		for v := a; v <= b; v += step {
			bits |= 1 << uint(v)
		}
	}
	return bits, nil
}

// Next is the first time strictly after t that matches.
func (c *Cron) Next(t time.Time) time.Time {
	if c.every > 0 {
		return time.Unix(0, 0).Add(t.Sub(time.Unix(0, 0)).Truncate(c.every) + c.every)
	}
	t = t.In(c.loc).Truncate(time.Minute).Add(time.Minute)
	for limit := 0; limit < 5*366*24*60; limit++ {
		if c.month&(1<<uint(t.Month())) == 0 {
			t = time.Date(t.Year(), t.Month()+1, 1, 0, 0, 0, 0, c.loc)
			continue
		}
		if !c.dayMatches(t) {
			t = time.Date(t.Year(), t.Month(), t.Day()+1, 0, 0, 0, 0, c.loc)
			continue
		}
		if c.hour&(1<<uint(t.Hour())) == 0 {
			t = t.Truncate(time.Hour).Add(time.Hour)
			continue
		}
		if c.minute&(1<<uint(t.Minute())) == 0 {
			t = t.Add(time.Minute)
			continue
		}
		return t
	}
	return t
}

func (c *Cron) dayMatches(t time.Time) bool {
	dom := c.dom&(1<<uint(t.Day())) != 0
	dow := c.dow&(1<<uint(t.Weekday())) != 0
	if c.domStar || c.dowStar {
		return dom && dow
	}
	return dom || dow
}
