package nf

import (
	"bytes"
	"os"
	"runtime"
	"strconv"
	"time"
)

// The record writer's CPU share. On a machine with spare CPU and an app that is not
// busy the writer writes as fast as it needs; as the app's requests take its processors,
// or when the CPU is taken by anything else, it keeps to a small share of what the app
// itself uses (NODEFORGE_RECORDS_CPU, default 0.02: 2%),
// sleeping after each batch in proportion to the time the batch took. Executions that
// come faster than it writes them fill the queue, and those that start while it is full
// are not recorded (counted as drops): records never take the CPU that requests need.

// cpuProbe measures the spare CPU between two calls: the machine's idle time
// (/proc/stat) and what this process leaves of its GOMAXPROCS (/proc/self/stat). Where
// /proc is missing it knows nothing and the writer keeps to its share.
type cpuProbe struct {
	at         time.Time
	idle, all  float64 // /proc/stat jiffies
	proc       float64 // this process's CPU seconds
	known      bool
	readStat   func() ([]byte, error)
	readSelf   func() ([]byte, error)
	maxProcs   func() int
	clockTicks float64
}

func newCPUProbe() *cpuProbe {
	p := &cpuProbe{
		readStat:   func() ([]byte, error) { return os.ReadFile("/proc/stat") },
		readSelf:   func() ([]byte, error) { return os.ReadFile("/proc/self/stat") },
		maxProcs:   func() int { return runtime.GOMAXPROCS(0) },
		clockTicks: 100, // USER_HZ, 100 on every Linux port
	}
	p.sample()
	return p
}

// machine is the idle and total jiffies of /proc/stat's "cpu" line.
func (p *cpuProbe) machine() (idle, all float64, ok bool) {
	b, err := p.readStat()
	if err != nil || !bytes.HasPrefix(b, []byte("cpu ")) {
		return 0, 0, false
	}
	line, _, _ := bytes.Cut(b, []byte("\n"))
	fields := bytes.Fields(line)[1:]
	for i, f := range fields {
		n, err := strconv.ParseFloat(string(f), 64)
		if err != nil {
			return 0, 0, false
		}
		if i == 3 || i == 4 { // idle, iowait
			idle += n
		}
		if i < 8 { // user..steal (guest time is counted in user already)
			all += n
		}
	}
	return idle, all, all > 0
}

// process is this process's user+system CPU seconds.
func (p *cpuProbe) process() (float64, bool) {
	b, err := p.readSelf()
	if err != nil {
		return 0, false
	}
	// The command name may hold spaces: the fields start after its closing parenthesis.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, false
	}
	fields := bytes.Fields(b[i+1:])
	if len(fields) < 13 {
		return 0, false
	}
	utime, err1 := strconv.ParseFloat(string(fields[11]), 64)
	stime, err2 := strconv.ParseFloat(string(fields[12]), 64)
	if err1 != nil || err2 != nil {
		return 0, false
	}
	return (utime + stime) / p.clockTicks, true
}

// sample is the CPU, in cores, that was free for this process since the last call (the
// machine's idle cores, at most what the process left of its GOMAXPROCS) and what the
// process used; -1, -1 when unknown.
func (p *cpuProbe) sample() (spare, used float64) {
	now := time.Now()
	idle, all, ok1 := p.machine()
	proc, ok2 := p.process()
	prevAt, prevIdle, prevAll, prevProc, known := p.at, p.idle, p.all, p.proc, p.known
	p.at, p.idle, p.all, p.proc, p.known = now, idle, all, proc, ok1 && ok2
	if !known || !ok1 || !ok2 {
		return -1, -1
	}
	wall := now.Sub(prevAt).Seconds()
	if wall < 0.05 || all <= prevAll { // too short to tell (jiffies are 10 ms)
		return -1, -1
	}
	cores := float64(runtime.NumCPU())
	idleCores := (idle - prevIdle) / (all - prevAll) * cores
	used = (proc - prevProc) / wall
	return max(0, min(idleCores, float64(p.maxProcs())-used)), used
}

// minWriterShare is the least the writer may use, in cores, however busy the machine:
// records of an idle app on a busy machine still get written.
const minWriterShare = 0.01

// writerShare is the share of one core the writer may use now: half the spare CPU,
// less as the app itself gets busy (at used/procs of its processors taken, what looks
// spare is mostly the gaps between its requests, and taking it costs them throughput),
// and never less than frac of what the app uses (frac of one core when unknown).
func writerShare(spare, used, procs, frac float64) float64 {
	if spare < 0 {
		return frac
	}
	busy := min(1, used/max(1, procs))
	return min(1, max(minWriterShare, frac*used, spare/2*(1-busy)*(1-busy)))
}

// pause is how long the writer rests after a batch that took busy, to keep to share.
func pause(busy time.Duration, share float64) time.Duration {
	if share >= 1 || busy <= 0 {
		return 0
	}
	return min(2*time.Second, time.Duration(float64(busy)*(1-share)/share))
}
