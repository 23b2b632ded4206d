package answers

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"unicode"

	"gopkg.in/yaml.v3"

	"github.com/threadlinehq/threadline/bridge"
)

// !promote turns a staff answer into a draft article: a Markdown file in
// the knowledge base's drafts/ folder, masked like a suggestion, with
// front matter that keeps it out of the index (draft: true) until someone
// edits it and removes the flag.

// ErrNoAnswer: !promote in a conversation without a staff reply.
var ErrNoAnswer = errors.New("this conversation has no staff reply to promote yet")

// Promote writes the conversation's latest staff reply as a draft article
// and returns the file's path. title, if empty, is the customer's first
// question (masked, clipped).
func (s *Service) Promote(ctx context.Context, conv bridge.ConversationID, title string) (string, error) {
	if s.opts.KBDir == "" {
		return "", ErrNoKB
	}
	c, err := s.st.Conversation(ctx, conv)
	if err != nil {
		return "", err
	}
	msgs, err := s.st.Messages(ctx, conv, 0)
	if err != nil {
		return "", err
	}
	var question, answer string
	for _, m := range msgs {
		switch m.Direction {
		case bridge.DirCustomer:
			if question == "" {
				question = m.Body
			}
		case bridge.DirStaff:
			if !strings.HasPrefix(m.Body, "[WhatsApp template") {
				answer = m.Body
			}
		}
	}
	if strings.TrimSpace(answer) == "" {
		return "", ErrNoAnswer
	}
	question = Mask(question, c.CustomerName)
	if title = strings.TrimSpace(title); title == "" {
		title = clip(oneLine(question), 80)
	}
	if title == "" {
		title = "Answer from " + conv.String()
	}
	tags, _ := s.tags(ctx, conv)
	fm, err := yaml.Marshal(map[string]any{
		"title": title, "tags": tags, "draft": true,
		"source": fmt.Sprintf("conversation %s (promoted with !promote; remove draft: true to publish)", conv),
	})
	if err != nil {
		return "", err
	}
	body := "---\n" + string(fm) + "---\n\n# " + title + "\n\n" + strings.TrimSpace(Mask(answer, c.CustomerName)) + "\n"
	if q := strings.TrimSpace(question); q != "" {
		body += "\n<!-- The question it answered:\n" + strings.ReplaceAll(q, "--", "- -") + "\n-->\n"
	}
	dir := filepath.Join(s.opts.KBDir, "drafts")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("promote: %w", err)
	}
	base := slugify(title)
	for i := 1; i < 100; i++ {
		name := base + ".md"
		if i > 1 {
			name = fmt.Sprintf("%s-%d.md", base, i)
		}
		path := filepath.Join(dir, name)
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if errors.Is(err, os.ErrExist) {
			continue
		}
		if err != nil {
			return "", fmt.Errorf("promote: %w", err)
		}
		if _, err := f.WriteString(body); err != nil {
			f.Close()
			return "", fmt.Errorf("promote: %w", err)
		}
		return path, f.Close()
	}
	return "", fmt.Errorf("promote: %s already has 99 drafts named %s", dir, base)
}

// tags are the conversation's tags, for the draft's front matter.
func (s *Service) tags(ctx context.Context, conv bridge.ConversationID) ([]string, error) {
	v, err := s.st.ConversationView(ctx, conv)
	if err != nil {
		return nil, err
	}
	if v.Tags == nil {
		return []string{}, nil
	}
	return v.Tags, nil
}

// slugify makes a file name of a title: lower-case letters, digits and
// dashes, at most 60 characters.
func slugify(title string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(title) {
		switch {
		case r < 128 && (unicode.IsLetter(r) || unicode.IsDigit(r)):
			b.WriteRune(r)
			dash = false
		case !dash && b.Len() > 0:
			b.WriteByte('-')
			dash = true
		}
		if b.Len() >= 60 {
			break
		}
	}
	s := strings.Trim(b.String(), "-")
	if s == "" {
		return "article"
	}
	return s
}
