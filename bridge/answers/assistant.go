package answers

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/threadlinehq/threadline/bridge"
)

// AI jobs: !draft, !summary (also after !handoff) and !translate ask the
// endpoint in the background; the command answers at once, and the
// result comes into the thread as a note (an error as a notice on the
// surface the command came from). What the model wrote is only ever a
// note: it reaches a customer when a person sends it (!use draft) or
// writes their own.

// JobKind is what an AI job does.
type JobKind string

const (
	JobDraft     JobKind = "draft"     // a reply draft grounded in suggestions and articles
	JobSummary   JobKind = "summary"   // a summary for a colleague
	JobTranslate JobKind = "translate" // the customer's message in the staff language, or Text in the customer's
)

// Job is one AI request.
type Job struct {
	Kind         JobKind
	Conversation bridge.ConversationID
	Surface      bridge.Platform // where errors are shown
	By           string          // who asked (for the note)
	// Text: for a draft, staff's instructions ("mention the discount");
	// for a translation, staff's reply to translate ("" translates the
	// customer's last message).
	Text string
	// Reason says why a job was started by itself ("handoff").
	Reason string
}

// ErrBusy: the queue of AI jobs is full.
var ErrBusy = errors.New("the AI is busy with earlier requests; try again in a minute")

// Ask queues an AI job; it never waits for the endpoint.
func (s *Service) Ask(j Job) error {
	if s.llm == nil {
		return ErrNoLLM
	}
	select {
	case s.jobs <- j:
		return nil
	default:
		return ErrBusy
	}
}

// Run does the AI jobs until ctx ends; jobs still queued then are
// dropped (their commands said the result would come, but a shutdown
// ends the wait: staff ask again).
func (s *Service) Run(ctx context.Context) {
	var wg sync.WaitGroup
	for range s.opts.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-ctx.Done():
					return
				case j := <-s.jobs:
					s.do(ctx, j)
				}
			}
		}()
	}
	wg.Wait()
}

// do runs one job and reports its outcome in the thread.
func (s *Service) do(ctx context.Context, j Job) {
	var err error
	switch j.Kind {
	case JobDraft:
		err = s.draft(ctx, j)
	case JobSummary:
		err = s.summary(ctx, j)
	case JobTranslate:
		err = s.translate(ctx, j)
	default:
		err = fmt.Errorf("unknown AI job %q", j.Kind)
	}
	if err == nil || ctx.Err() != nil {
		return
	}
	s.log.Warn("answers: AI job failed", "job", j.Kind, "conversation", j.Conversation, "err", err)
	what := "!" + string(j.Kind)
	if j.Reason != "" {
		what = "The " + string(j.Kind) + " after " + j.Reason
	}
	text := fmt.Sprintf("⚠ %s did not work: %v. Nothing was sent to the customer.", what, err)
	if nerr := s.post.Notice(context.WithoutCancel(ctx), j.Conversation, j.Surface, text); nerr != nil {
		s.log.Error("answers: reporting a failed AI job", "conversation", j.Conversation, "err", nerr)
	}
}

// maxPromptMessages and maxPromptChars bound what a prompt carries of a
// conversation.
const (
	maxPromptMessages = 20
	maxPromptChars    = 1200
)

// transcript is the conversation as the model reads it: the newest
// messages, each clipped; notes only when withNotes (summaries for staff;
// never in what drafts a customer reply).
func transcript(msgs []bridge.Message, withNotes bool) string {
	var lines []string
	for _, m := range msgs {
		who := ""
		switch m.Direction {
		case bridge.DirCustomer:
			who = "Customer"
		case bridge.DirStaff:
			who = "Staff (" + m.Author + ")"
		case bridge.DirNote:
			if !withNotes || m.AuthorID == string(bridge.SystemActor().ID) {
				continue
			}
			who = "Internal note (" + m.Author + ")"
		default:
			continue
		}
		lines = append(lines, who+": "+clip(strings.TrimSpace(m.Body), maxPromptChars))
	}
	if len(lines) > maxPromptMessages {
		lines = lines[len(lines)-maxPromptMessages:]
	}
	return strings.Join(lines, "\n\n")
}

// source is one thing a draft may cite.
type source struct {
	label string // for staff: "past answer in #12", "article “Refunds”"
	text  string // for the model
}

// sources are the best suggestions and articles for the conversation.
func (s *Service) sources(ctx context.Context, conv bridge.ConversationID, customer []string) ([]source, error) {
	var out []source
	sg, err := s.sug.ForText(ctx, customer, conv, 3)
	if err != nil {
		return nil, err
	}
	for _, x := range sg {
		if x.Confidence < 0.15 {
			continue
		}
		out = append(out, source{label: "past answer in " + x.Conversation.String(), text: "Past staff answer to a similar question: " + clip(x.Text, 1500)})
	}
	if s.kb != nil && len(customer) > 0 {
		for _, h := range s.kb.Search(strings.Join(customer, "\n"), "", 2) {
			if h.Coverage < 0.3 {
				continue
			}
			out = append(out, source{label: "article “" + h.Title + "” (" + h.Slug + ")",
				text: "Knowledge-base article “" + h.Title + "”: " + clip(PlainText(h.Body), 2500)})
		}
	}
	return out, nil
}

func (s *Service) draft(ctx context.Context, j Job) error {
	msgs, err := s.st.Messages(ctx, j.Conversation, 0)
	if err != nil {
		return err
	}
	var customer []string
	for _, m := range msgs {
		if m.Direction == bridge.DirCustomer {
			customer = append(customer, m.Body)
		}
	}
	if len(customer) == 0 {
		return errors.New("the customer has not written anything to answer")
	}
	srcs, err := s.sources(ctx, j.Conversation, customer)
	if err != nil {
		return err
	}
	var user strings.Builder
	if len(srcs) > 0 {
		user.WriteString("Sources:\n")
		for i, src := range srcs {
			fmt.Fprintf(&user, "[%d] %s\n", i+1, src.text)
		}
		user.WriteString("\n")
	} else {
		user.WriteString("Sources: none were found. Do not invent facts; say what you will check.\n\n")
	}
	fmt.Fprintf(&user, "Conversation so far:\n%s\n", transcript(msgs, false))
	if j.Text != "" {
		fmt.Fprintf(&user, "\nInstructions from the staff member: %s\n", j.Text)
	}
	system := "You draft replies for a customer support team. Write the next reply to the customer, in the language the customer writes in. " +
		"Use only facts from the sources and the conversation; where they do not answer the question, say what the team will check instead of guessing. " +
		"After each sentence that uses a source, cite it as [1], [2]. Placeholders such as [name] or [order id] in a source stand for another customer's details: never copy them. " +
		"Answer with the reply's text only: no subject line, no notes to the staff."
	answer, err := s.llm.Complete(ctx, []ChatMessage{{Role: "system", Content: system}, {Role: "user", Content: user.String()}})
	if err != nil {
		return err
	}
	head := fmt.Sprintf("🤖 AI draft for %s (%s; not sent — review it, then `!use draft` sends it as written, or write your own):\n\n", j.By, s.llm.Model())
	tail := ""
	if len(srcs) > 0 {
		labels := make([]string, len(srcs))
		for i, src := range srcs {
			labels[i] = fmt.Sprintf("[%d] %s", i+1, src.label)
		}
		tail = "\n\nSources: " + strings.Join(labels, " · ")
	} else {
		tail = "\n\nSources: none found (no similar past answer or article)."
	}
	return s.noteDraft(ctx, j.Conversation, head, answer, tail)
}

// noteDraft posts a note holding a draft and remembers where the draft is
// in it, for !use draft.
func (s *Service) noteDraft(ctx context.Context, conv bridge.ConversationID, head, draft, tail string) error {
	id, err := s.post.ThreadNote(ctx, conv, head+draft+tail)
	if err != nil {
		return err
	}
	return s.savePicks(ctx, "draft", conv, []pick{{Kind: "draft", Msg: id, From: len(head), To: len(head) + len(draft)}})
}

func (s *Service) summary(ctx context.Context, j Job) error {
	msgs, err := s.st.Messages(ctx, j.Conversation, 0)
	if err != nil {
		return err
	}
	text := transcript(msgs, true)
	if text == "" {
		return errors.New("the conversation has nothing to summarise yet")
	}
	system := fmt.Sprintf("Summarise this support conversation for a colleague who takes it over: the customer's problem, "+
		"what was tried or promised, and what is still open. At most five short bullet points, in %s. Facts from the conversation only.", s.opts.StaffLanguage)
	answer, err := s.llm.Complete(ctx, []ChatMessage{{Role: "system", Content: system}, {Role: "user", Content: text}})
	if err != nil {
		return err
	}
	why := ""
	if j.Reason != "" {
		why = ", after " + j.Reason
	}
	_, err = s.post.ThreadNote(ctx, j.Conversation, fmt.Sprintf("🤖 AI summary (%s%s):\n%s", s.llm.Model(), why, answer))
	return err
}

func (s *Service) translate(ctx context.Context, j Job) error {
	msgs, err := s.st.Messages(ctx, j.Conversation, 0)
	if err != nil {
		return err
	}
	if j.Text == "" {
		last, ok := lastCustomer(msgs)
		if !ok {
			return errors.New("the customer has not written anything to translate")
		}
		system := fmt.Sprintf("Translate the customer's message into %s. Answer with the translation only; if it already is in %s, repeat it.", s.opts.StaffLanguage, s.opts.StaffLanguage)
		answer, err := s.llm.Complete(ctx, []ChatMessage{{Role: "system", Content: system}, {Role: "user", Content: clip(last.Body, 4000)}})
		if err != nil {
			return err
		}
		_, err = s.post.ThreadNote(ctx, j.Conversation, fmt.Sprintf("🤖 The customer's message %d in %s (%s):\n%s", last.ID, s.opts.StaffLanguage, s.llm.Model(), answer))
		return err
	}
	var customer []string
	for _, m := range msgs {
		if m.Direction == bridge.DirCustomer {
			customer = append(customer, clip(m.Body, 600))
		}
	}
	if len(customer) > 3 {
		customer = customer[len(customer)-3:]
	}
	if len(customer) == 0 {
		return errors.New("the customer has not written anything, so their language is unknown")
	}
	system := "Translate the support reply into the language the customer writes in (their messages are given). Keep its meaning, tone and any placeholders in square brackets. Answer with the translated reply only."
	user := "The customer's messages:\n" + strings.Join(customer, "\n---\n") + "\n\nThe reply to translate:\n" + j.Text
	answer, err := s.llm.Complete(ctx, []ChatMessage{{Role: "system", Content: system}, {Role: "user", Content: user}})
	if err != nil {
		return err
	}
	head := fmt.Sprintf("🤖 Translation for %s (%s; not sent — `!use draft` sends it as written):\n\n", j.By, s.llm.Model())
	return s.noteDraft(ctx, j.Conversation, head, answer, "")
}
