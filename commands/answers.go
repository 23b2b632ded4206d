package commands

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/threadlinehq/threadline/bridge"
	"github.com/threadlinehq/threadline/bridge/answers"
)

// Answers returns the commands of answers from the team's own knowledge
// (docs/answers.md): suggestions of past answers, the knowledge base, and
// AI drafts. What they show is for staff only; only !use and !kb send
// write to the customer, and what an AI wrote reaches the customer only
// through !use draft.
func Answers() []Command {
	return []Command{
		{Name: "suggest", Help: "the best past staff answers to conversations like this one (for staff only; !use N sends one)",
			Run: runSuggest},
		{Name: "use", Args: "<n>|draft", Help: "send suggestion n, or the AI draft, to the customer as written",
			MinArgs: 1, MaxArgs: 1, Mutates: true, Run: runUse},
		{Name: "kb", Args: "<words> | send <n>", Help: "search the knowledge base; send n sends article n to the customer",
			MinArgs: 1, MaxArgs: -1, Global: true, Run: runKB},
		{Name: "promote", Args: "[title]", Help: "turn the staff answer in this thread into a draft knowledge-base article",
			MaxArgs: -1, Run: runPromote},
		{Name: "draft", Args: "[instructions]", Help: "AI: draft a reply as a note, citing past answers and articles (never sent by itself)",
			MaxArgs: -1, Run: runDraft},
		{Name: "summary", Help: "AI: summarise the conversation as a note",
			Run: runSummary},
		{Name: "translate", Args: "[reply]", Help: "AI: the customer's last message in the staff language; with a reply, that reply in the customer's language as a draft",
			MaxArgs: -1, Run: runTranslate},
	}
}

// HandlerOption configures a Handler.
type HandlerOption func(h *Handler)

// WithAnswers gives the handler the answers service (suggestions,
// knowledge base, AI drafts); without it those commands say they are
// unavailable.
func WithAnswers(a *answers.Service) HandlerOption {
	return func(h *Handler) { h.answers = a }
}

// service is the answers service or a refusal.
func (in *Invocation) service() (*answers.Service, error) {
	if in.Answers == nil {
		return nil, bridge.Reject("answers (suggestions, knowledge base, AI drafts) are not available in this process")
	}
	return in.Answers, nil
}

// refusal turns the service's advice (no knowledge base, no endpoint,
// nothing to pick, busy) into a refusal; other errors stay failures.
func refusal(err error) error {
	for _, e := range []error{answers.ErrNoKB, answers.ErrNoLLM, answers.ErrNoPick, answers.ErrBusy, answers.ErrNoAnswer, bridge.ErrNotFound} {
		if errors.Is(err, e) {
			return bridge.Reject("%v", err)
		}
	}
	return err
}

func runSuggest(ctx context.Context, in *Invocation) (string, error) {
	svc, err := in.service()
	if err != nil {
		return "", err
	}
	sg, err := svc.Suggest(ctx, in.Conversation)
	if err != nil {
		return "", err
	}
	return answers.FormatSuggestions(sg, in.Syntax.Prefix), nil
}

// runUse sends suggestion n or the AI draft, as written, as the staff
// member's own reply. [name] becomes the customer's first name; another
// customer's masked details refuse it: a person fills those in.
func runUse(ctx context.Context, in *Invocation) (string, error) {
	svc, err := in.service()
	if err != nil {
		return "", err
	}
	what := strings.ToLower(in.Args[0])
	var text string
	if what == "draft" {
		text, err = svc.Draft(ctx, in.Conversation)
		what = "the AI draft"
	} else {
		n, convErr := strconv.Atoi(strings.TrimPrefix(what, "#"))
		if convErr != nil {
			return "", bridge.Reject("Usage: %suse <n> (a suggestion's number from %ssuggest) or %suse draft", in.Syntax.Prefix, in.Syntax.Prefix, in.Syntax.Prefix)
		}
		text, err = svc.Suggestion(ctx, in.Conversation, n)
		what = fmt.Sprintf("suggestion %d", n)
	}
	if err != nil {
		return "", refusal(err)
	}
	c, err := in.Engine.Store().Conversation(ctx, in.Conversation)
	if err != nil {
		return "", err
	}
	text = answers.FillName(text, c.CustomerName)
	if masked := answers.MaskedDetails(text); len(masked) > 0 {
		return "", bridge.Reject("Not sent: %s holds details of another customer, masked as %s. Copy it, fill them in and send it as your reply.",
			what, strings.Join(masked, ", "))
	}
	return sendAsReply(ctx, in, text, what)
}

// sendAsReply sends text as the staff member's reply and says so, with the
// engine's warning, if any, after it.
func sendAsReply(ctx context.Context, in *Invocation, text, what string) (string, error) {
	_, warning, err := in.Engine.ReplyWith(ctx, in.Staff(), text, nil, false)
	if err != nil {
		return "", err
	}
	msg := fmt.Sprintf("Sent %s to the customer.", what)
	if warning != "" {
		msg += " " + warning
	}
	return msg, nil
}

// runKB searches the knowledge base, or sends an article found before.
func runKB(ctx context.Context, in *Invocation) (string, error) {
	svc, err := in.service()
	if err != nil {
		return "", err
	}
	if strings.EqualFold(in.Args[0], "send") && len(in.Args) == 2 {
		n, convErr := strconv.Atoi(strings.TrimPrefix(in.Args[1], "#"))
		if convErr == nil {
			return kbSend(ctx, in, svc, n)
		}
	}
	hits, err := svc.SearchKB(ctx, in.Conversation, in.Rest, 5)
	if err != nil {
		return "", refusal(err)
	}
	return answers.FormatArticles(hits, in.Rest, in.Syntax.Prefix, in.Conversation != 0), nil
}

// kbSend sends article n to the customer: a write to the customer, so
// the department rules apply as for any reply.
func kbSend(ctx context.Context, in *Invocation, svc *answers.Service, n int) (string, error) {
	if in.Conversation == 0 {
		return "", bridge.Reject("%skb send works inside a conversation's thread.", in.Syntax.Prefix)
	}
	c, err := in.Engine.Store().Conversation(ctx, in.Conversation)
	if err != nil {
		return "", err
	}
	if ok, why := in.Engine.Directory().MayAct(in.Actor, c.Department); !ok {
		return "", bridge.Reject("Not done: %s", why)
	}
	a, err := svc.KBPick(ctx, in.Conversation, n)
	if err != nil {
		return "", refusal(err)
	}
	return sendAsReply(ctx, in, a.Text(), fmt.Sprintf("the article “%s”", a.Title))
}

func runPromote(ctx context.Context, in *Invocation) (string, error) {
	svc, err := in.service()
	if err != nil {
		return "", err
	}
	path, err := svc.Promote(ctx, in.Conversation, in.Rest)
	if err != nil {
		return "", refusal(err)
	}
	return fmt.Sprintf("Draft article written to %s (masked; front matter draft: true). Edit it and remove the draft line to publish it: the knowledge base picks it up by itself.", path), nil
}

// ask queues an AI job and says what will happen.
func ask(in *Invocation, kind answers.JobKind, text, doing string) (string, error) {
	svc, err := in.service()
	if err != nil {
		return "", err
	}
	if err := svc.Ask(answers.Job{Kind: kind, Conversation: in.Conversation, Surface: in.Surface, By: in.Actor.Name, Text: text}); err != nil {
		return "", refusal(err)
	}
	return fmt.Sprintf("%s with %s; it comes into this thread as a note. Nothing is sent to the customer.", doing, svc.LLM().Model()), nil
}

func runDraft(_ context.Context, in *Invocation) (string, error) {
	return ask(in, answers.JobDraft, in.Rest, "Drafting a reply")
}

func runSummary(_ context.Context, in *Invocation) (string, error) {
	return ask(in, answers.JobSummary, "", "Summarising")
}

func runTranslate(_ context.Context, in *Invocation) (string, error) {
	if strings.TrimSpace(in.Rest) == "" {
		return ask(in, answers.JobTranslate, "", "Translating the customer's last message")
	}
	return ask(in, answers.JobTranslate, in.Rest, "Translating your reply")
}

// summaryAfterHandoff asks for an AI summary for whoever takes the
// conversation over, when an endpoint is configured; the handoff never
// waits for it or fails with it.
func summaryAfterHandoff(in *Invocation) string {
	if in.Answers == nil || in.Answers.LLM() == nil {
		return ""
	}
	err := in.Answers.Ask(answers.Job{Kind: answers.JobSummary, Conversation: in.Conversation, Surface: in.Surface, By: in.Actor.Name, Reason: in.Syntax.Prefix + "handoff"})
	if err != nil {
		return ""
	}
	return " An AI summary for them follows as a note."
}
