package sla

import (
	"errors"
	"fmt"
	"time"

	"github.com/threadlinehq/threadline/bridge"
)

// RotationSpec is a department's on-call rotation as config writes it:
// people take turns, each for one shift, hand-over at Start's time of day.
type RotationSpec struct {
	People []bridge.StaffID
	// Shift length (0: 7 days). Whole days follow the local calendar, so
	// hand-over stays at the same local time across DST changes.
	Shift time.Duration
	// Start is when People[0]'s first shift begins ("2026-01-05 09:00", in Location).
	Start     string
	Location  *time.Location // nil: UTC
	Overrides []OverrideSpec
}

// OverrideSpec puts someone else on call for a while (holidays, swaps);
// From and To are written like RotationSpec.Start.
type OverrideSpec struct {
	From   string
	To     string
	Person bridge.StaffID
}

// Rotation answers who is on call at a moment.
type Rotation struct {
	people    []bridge.StaffID
	shift     time.Duration
	days      int // >0: shift is whole days
	start     time.Time
	loc       *time.Location
	overrides []override
}

type override struct {
	from, to time.Time
	person   bridge.StaffID
}

const rotationLayout = "2006-01-02 15:04"

// NewRotation builds a rotation, reporting every problem as a
// bridge.FieldError (shift, people, start, overrides[i]). Whether the
// people are well-formed staff ids is the caller's to check: the surfaces
// know what their ids look like.
func NewRotation(cfg RotationSpec) (*Rotation, error) {
	var errs []error
	add := func(field, format string, args ...any) {
		errs = append(errs, bridge.FieldErrorf(field, format, args...))
	}
	loc := cfg.Location
	if loc == nil {
		loc = time.UTC
	}
	r := &Rotation{people: cfg.People, shift: cfg.Shift, loc: loc}
	if r.shift == 0 {
		r.shift = 7 * 24 * time.Hour
	}
	if r.shift < time.Hour {
		add("shift", "must be at least 1h")
	}
	if r.shift%(24*time.Hour) == 0 {
		r.days = int(r.shift / (24 * time.Hour))
	}
	if len(cfg.People) == 0 {
		add("people", "list at least one person")
	}
	start, err := time.ParseInLocation(rotationLayout, cfg.Start, loc)
	if err != nil {
		add("start", "%q is not a time like 2026-01-05 09:00", cfg.Start)
	}
	r.start = start
	for i, o := range cfg.Overrides {
		f := fmt.Sprintf("overrides[%d]", i)
		from, err1 := time.ParseInLocation(rotationLayout, o.From, loc)
		to, err2 := time.ParseInLocation(rotationLayout, o.To, loc)
		if err1 != nil || err2 != nil || !to.After(from) {
			add(f, "from and to must be times like 2026-03-02 09:00, to after from")
			continue
		}
		r.overrides = append(r.overrides, override{from, to, o.Person})
	}
	return r, errors.Join(errs...)
}

// People are the people who take turns, in order.
func (r *Rotation) People() []bridge.StaffID { return r.people }

// OnCall returns who is on call at t and until when.
func (r *Rotation) OnCall(t time.Time) (bridge.StaffID, time.Time) {
	for _, o := range r.overrides {
		if !t.Before(o.from) && t.Before(o.to) {
			return o.person, o.to
		}
	}
	k, end := r.shiftIndex(t)
	n := len(r.people)
	return r.people[((k%n)+n)%n], end
}

// shiftIndex is the number of the shift containing t (0 starts at Start,
// negative before it) and when that shift ends.
func (r *Rotation) shiftIndex(t time.Time) (int, time.Time) {
	if r.days == 0 {
		k := int(floorDiv(int64(t.Sub(r.start)), int64(r.shift)))
		return k, r.start.Add(time.Duration(k+1) * r.shift)
	}
	lt := t.In(r.loc)
	sy, sm, sd := r.start.Date()
	ty, tm, td := lt.Date()
	startDay := time.Date(sy, sm, sd, 12, 0, 0, 0, time.UTC)
	today := time.Date(ty, tm, td, 12, 0, 0, 0, time.UTC)
	days := int(today.Sub(startDay).Hours() / 24)
	handover := time.Date(ty, tm, td, r.start.Hour(), r.start.Minute(), 0, 0, r.loc)
	if lt.Before(handover) {
		days--
	}
	k := int(floorDiv(int64(days), int64(r.days)))
	endDay := startDay.AddDate(0, 0, (k+1)*r.days)
	ey, em, ed := endDay.Date()
	return k, time.Date(ey, em, ed, r.start.Hour(), r.start.Minute(), 0, 0, r.loc)
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}
