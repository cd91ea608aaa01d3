package nf

import (
	"testing"
	"time"
)

func TestCronEveryTicksOnTheMultiplesOfItsDuration(t *testing.T) {
	c, err := ParseCron("@every 15m", "Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 12, 4, 10, 7, 30, 0, time.UTC)
	want := time.Date(2026, 12, 4, 10, 15, 0, 0, time.UTC)
	if got := c.Next(at); !got.Equal(want) {
		t.Errorf("Next(%v) = %v, want %v", at, got, want)
	}
	if got := c.Next(want); !got.Equal(want.Add(15 * time.Minute)) {
		t.Errorf("Next(%v) = %v: a tick is strictly after t", want, got)
	}
	s, _ := ParseCron("@every 2s", "")
	// Two replicas asking at different moments of one period get the same tick.
	a := s.Next(time.Unix(1000, 100))
	b := s.Next(time.Unix(1001, 999_999_999))
	if !a.Equal(b) || a.Unix() != 1002 {
		t.Errorf("ticks %v and %v, want both at 1002", a, b)
	}
}

func TestCronDescriptors(t *testing.T) {
	at := time.Date(2026, 12, 4, 10, 7, 0, 0, time.UTC)
	cases := map[string]time.Time{
		"@hourly":  time.Date(2026, 12, 4, 11, 0, 0, 0, time.UTC),
		"@daily":   time.Date(2026, 12, 5, 0, 0, 0, 0, time.UTC),
		"@weekly":  time.Date(2026, 12, 6, 0, 0, 0, 0, time.UTC), // a Sunday
		"@monthly": time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC),
		"@yearly":  time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC),
	}
	for spec, want := range cases {
		c, err := ParseCron(spec, "")
		if err != nil {
			t.Fatalf("%s: %v", spec, err)
		}
		if got := c.Next(at); !got.Equal(want) {
			t.Errorf("%s: Next = %v, want %v", spec, got, want)
		}
	}
	for _, bad := range []string{"@every", "@every 10ms", "@every soon", "@sometimes"} {
		if _, err := ParseCron(bad, ""); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}
