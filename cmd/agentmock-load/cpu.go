package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strconv"
	"time"
)

// CPU per request is the process's user and system time over a measurement
// divided by the requests answered in it. Throughput on a shared 2-core
// host moves by a third between minutes, and with it the ratio to the
// floor; the CPU a request costs moves far less, so agentmock's own cost
// per request (its CPU per request less the floor's) is the figure to
// compare changes by.

// clockTick is the unit of /proc/PID/stat's times: USER_HZ, which Linux
// fixes at 100 for what it reports to user space whatever the kernel's HZ.
const clockTick = 10 * time.Millisecond

// errNoCPU is cpuTime's where /proc is not there (not Linux).
var errNoCPU = errors.New("no /proc/PID/stat to read CPU time from")

// cpuTime is the user and system time a process has used so far, all its
// threads together.
func cpuTime(pid int) (time.Duration, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, fmt.Errorf("%w: %w", errNoCPU, err)
	}
	ticks, err := statTicks(data)
	if err != nil {
		return 0, err
	}
	return time.Duration(ticks) * clockTick, nil
}

// statTicks reads utime and stime, the 14th and 15th fields of a
// /proc/PID/stat line. The second field, the command's name in
// parentheses, may itself hold spaces and parentheses, so fields are
// counted from the last ")".
func statTicks(stat []byte) (int64, error) {
	end := bytes.LastIndexByte(stat, ')')
	if end < 0 {
		return 0, fmt.Errorf("stat %q: no command name", stat)
	}
	// After the name: field 3 (state) is the first.
	fields := bytes.Fields(stat[end+1:])
	const utime, stime = 14 - 3, 15 - 3
	if len(fields) <= stime {
		return 0, fmt.Errorf("stat %q: %d fields after the name", stat, len(fields))
	}
	var total int64
	for _, f := range [][]byte{fields[utime], fields[stime]} {
		n, err := strconv.ParseInt(string(f), 10, 64)
		if err != nil || n < 0 {
			return 0, fmt.Errorf("stat %q: time %q is not a count of ticks", stat, f)
		}
		total += n
	}
	return total, nil
}

// measured runs a measurement and sets its CPU per request from the
// process's CPU time around it. Without /proc it is left 0: unknown.
func measured(pid int, drive func() (result, error)) (result, error) {
	before, cpuErr := cpuTime(pid)
	r, err := drive()
	if err != nil || cpuErr != nil {
		return r, err
	}
	after, cpuErr := cpuTime(pid)
	if n := r.requests(); cpuErr == nil && n > 0 {
		r.cpu = (after - before) / time.Duration(n)
	}
	return r, nil
}

// cpuSpaced is a CPU time per request for the tables: "69 µs", or "–"
// when unknown.
func cpuSpaced(d time.Duration) string {
	if d <= 0 {
		return "–"
	}
	return fmt.Sprintf("%.0f µs", float64(d)/float64(time.Microsecond))
}
