package answers

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/threadlinehq/threadline/bridge"
)

// The knowledge base: a folder of Markdown articles (answers.kb_dir),
// each with YAML front matter (title, tags, language; url and draft
// optional). It is indexed in memory at start and again whenever a file
// is added, changed or removed (the folder is polled: no watcher
// dependency). Articles are ranked like suggestions, with BM25 over the
// title (weighted most), the tags and the text.

const (
	titleWeight = 3
	tagWeight   = 2
	// MatchCoverage is the share of a question's words an article must
	// have (see coverage) to count as a match: the widget offers it, and
	// a question without one is a knowledge gap.
	MatchCoverage = 0.4
	// maxArticleBytes bounds one article file.
	maxArticleBytes = 1 << 20
)

// Article is one knowledge-base article.
type Article struct {
	Slug     string // its path under the folder without ".md": "billing/refunds"
	Title    string
	Tags     []string
	Language string // "" for any
	URL      string // where customers can read it, if it is published
	Body     string // the Markdown after the front matter
	Draft    bool   // drafts (from !promote) are not offered until the flag goes
}

// Text is the article as plain text for a customer: its title and text,
// or its title and link when it has one.
func (a Article) Text() string {
	if a.URL != "" {
		return a.Title + ": " + a.URL
	}
	return a.Title + "\n\n" + PlainText(a.Body)
}

// Excerpt is the article's first paragraph of text, clipped.
func (a Article) Excerpt(n int) string {
	for para := range strings.SplitSeq(a.Body, "\n\n") {
		p := strings.TrimSpace(para)
		if p == "" || strings.HasPrefix(p, "#") {
			continue
		}
		return clip(strings.Join(strings.Fields(PlainText(p)), " "), n)
	}
	return ""
}

// ArticleHit is an article found for a question.
type ArticleHit struct {
	Article
	Score float64
	// Coverage is the share of the question's words the article has (0
	// to 1); MatchCoverage or more is a match.
	Coverage float64
}

// KBOptions configure the knowledge base.
type KBOptions struct {
	Dir      string
	Synonyms [][]string
	Clock    bridge.Clock // nil: the system clock
	Log      *slog.Logger
}

// KB is the knowledge base. It is safe for concurrent use.
type KB struct {
	dir   string
	syn   *synonyms
	clock bridge.Clock
	log   *slog.Logger

	idx atomic.Pointer[kbIndex]
	mu  sync.Mutex // one reload at a time
	sum string     // what the folder's files looked like at the last load
}

// kbIndex is one load of the folder.
type kbIndex struct {
	articles []Article
	bags     []*bag
	df       map[string]int
	avg      float64
	problems []string // files skipped, and why
}

// OpenKB loads the articles in o.Dir. A missing folder is an error (the
// config names it); unreadable or malformed files are skipped and listed
// by Problems.
func OpenKB(o KBOptions) (*KB, error) {
	fi, err := os.Stat(o.Dir)
	if err != nil {
		return nil, fmt.Errorf("knowledge base: %w", err)
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("knowledge base: %s is not a folder", o.Dir)
	}
	log := o.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	k := &KB{dir: o.Dir, syn: newSynonyms(o.Synonyms), clock: bridge.OrSystem(o.Clock), log: log}
	if _, err := k.Reload(); err != nil {
		return nil, err
	}
	return k, nil
}

// Dir is the folder the articles are in.
func (k *KB) Dir() string { return k.dir }

// Len is how many articles are offered (drafts are not).
func (k *KB) Len() int { return len(k.idx.Load().articles) }

// Problems lists the files the last load skipped, and why.
func (k *KB) Problems() []string { return k.idx.Load().problems }

// Reload indexes the folder again if any article file was added, changed
// or removed since the last load; changed reports whether it did.
func (k *KB) Reload() (changed bool, err error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	files, sum, err := k.scan()
	if err != nil {
		return false, err
	}
	if sum == k.sum && k.idx.Load() != nil {
		return false, nil
	}
	idx := &kbIndex{df: map[string]int{}}
	total := 0.0
	for _, f := range files {
		a, err := readArticle(k.dir, f)
		if err != nil {
			idx.problems = append(idx.problems, err.Error())
			continue
		}
		if a.Draft {
			continue
		}
		b := newBag()
		b.addPlain(a.Title, titleWeight)
		b.addPlain(strings.Join(a.Tags, " "), tagWeight)
		b.addPlain(a.Body, 1)
		for t := range b.terms {
			idx.df[t]++
		}
		total += b.length
		idx.articles = append(idx.articles, a)
		idx.bags = append(idx.bags, b)
	}
	idx.avg = 1
	if len(idx.bags) > 0 && total > 0 {
		idx.avg = total / float64(len(idx.bags))
	}
	k.idx.Store(idx)
	k.sum = sum
	return true, nil
}

// scan lists the Markdown files under the folder and a digest of their
// names, sizes and modification times.
func (k *KB) scan() ([]string, string, error) {
	var files []string
	h := sha256.New()
	err := filepath.WalkDir(k.dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if path == k.dir {
				return err
			}
			return nil // an unreadable subfolder: skip it
		}
		if d.IsDir() && path != k.dir && strings.HasPrefix(d.Name(), ".") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.EqualFold(filepath.Ext(path), ".md") {
			return nil
		}
		fi, err := d.Info()
		if err != nil {
			return nil
		}
		files = append(files, path)
		fmt.Fprintf(h, "%s\x00%d\x00%d\n", path, fi.Size(), fi.ModTime().UnixNano())
		return nil
	})
	if err != nil {
		return nil, "", fmt.Errorf("knowledge base %s: %w", k.dir, err)
	}
	return files, hex.EncodeToString(h.Sum(nil)), nil
}

// Watch reloads the folder every interval until ctx ends.
func (k *KB) Watch(ctx context.Context, every time.Duration) {
	if every <= 0 {
		every = 10 * time.Second
	}
	t := k.clock.NewTimer(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C():
		}
		changed, err := k.Reload()
		switch {
		case err != nil:
			k.log.Warn("knowledge base: reload failed; the last index stays in use", "err", err)
		case changed:
			k.log.Info("knowledge base reloaded", "articles", k.Len(), "skipped", len(k.Problems()))
			for _, p := range k.Problems() {
				k.log.Warn("knowledge base: file skipped", "problem", p)
			}
		}
		t.Reset(every)
	}
}

// frontMatter is what an article's header may say.
type frontMatter struct {
	Title    string    `yaml:"title"`
	Tags     yamlWords `yaml:"tags"`
	Language string    `yaml:"language"`
	Lang     string    `yaml:"lang"`
	URL      string    `yaml:"url"`
	Draft    bool      `yaml:"draft"`
}

// yamlWords takes a list or one comma-separated string.
type yamlWords []string

func (w *yamlWords) UnmarshalYAML(n *yaml.Node) error {
	var list []string
	if n.Kind == yaml.SequenceNode {
		if err := n.Decode(&list); err != nil {
			return err
		}
	} else {
		var s string
		if err := n.Decode(&s); err != nil {
			return err
		}
		list = strings.Split(s, ",")
	}
	for _, s := range list {
		if s = strings.TrimSpace(s); s != "" {
			*w = append(*w, s)
		}
	}
	return nil
}

var headingRE = regexp.MustCompile(`(?m)^#\s+(.+)$`)

// readArticle parses one file: front matter (optional) and body. Without
// a title the first "# " heading is the title, else the file name.
func readArticle(dir, path string) (Article, error) {
	rel, _ := filepath.Rel(dir, path)
	slug := strings.TrimSuffix(filepath.ToSlash(rel), filepath.Ext(rel))
	f, err := os.Open(path)
	if err != nil {
		return Article{}, fmt.Errorf("%s: %w", rel, err)
	}
	defer f.Close()
	var buf bytes.Buffer
	if n, err := buf.ReadFrom(&limited{f, maxArticleBytes + 1}); err != nil {
		return Article{}, fmt.Errorf("%s: %w", rel, err)
	} else if n > maxArticleBytes {
		return Article{}, fmt.Errorf("%s: larger than %d bytes", rel, maxArticleBytes)
	}
	raw := strings.ReplaceAll(strings.TrimPrefix(buf.String(), "\ufeff"), "\r\n", "\n")
	a := Article{Slug: slug, Body: raw}
	if rest, ok := strings.CutPrefix(raw, "---\n"); ok {
		head, body, found := strings.Cut(rest, "\n---\n")
		if !found {
			head, body, found = strings.Cut(rest, "\n---")
			if !found || strings.TrimSpace(body) != "" {
				return Article{}, fmt.Errorf("%s: front matter starts with --- but never ends with a --- line", rel)
			}
		}
		var fm frontMatter
		if err := yaml.Unmarshal([]byte(head), &fm); err != nil {
			return Article{}, fmt.Errorf("%s: front matter: %w", rel, err)
		}
		a.Title, a.Tags, a.URL, a.Draft = strings.TrimSpace(fm.Title), fm.Tags, strings.TrimSpace(fm.URL), fm.Draft
		a.Language = strings.ToLower(strings.TrimSpace(cmp.Or(fm.Language, fm.Lang)))
		a.Body = body
	}
	a.Body = strings.TrimSpace(a.Body)
	if a.Title == "" {
		if m := headingRE.FindStringSubmatch(a.Body); m != nil {
			a.Title = strings.TrimSpace(m[1])
		} else {
			a.Title = strings.ReplaceAll(filepath.Base(slug), "-", " ")
		}
	}
	if a.URL != "" && !strings.HasPrefix(a.URL, "https://") && !strings.HasPrefix(a.URL, "http://") {
		return Article{}, fmt.Errorf("%s: url %q is not an http(s) link", rel, a.URL)
	}
	return a, nil
}

type limited struct {
	f *os.File
	n int64
}

func (l *limited) Read(p []byte) (int, error) {
	if l.n <= 0 {
		return 0, errors.New("too large")
	}
	if int64(len(p)) > l.n {
		p = p[:l.n]
	}
	n, err := l.f.Read(p)
	l.n -= int64(n)
	return n, err
}

// Article finds an article by slug.
func (k *KB) Article(slug string) (Article, bool) {
	for _, a := range k.idx.Load().articles {
		if a.Slug == slug {
			return a, true
		}
	}
	return Article{}, false
}

// Search ranks the articles for a question (a customer's message, or a
// few words), best first, at most n. With lang set, articles in another
// language are left out (those without a language stay).
func (k *KB) Search(question, lang string, n int) []ArticleHit {
	idx := k.idx.Load()
	if len(idx.articles) == 0 {
		return nil
	}
	b := questionBag([]string{question}, false)
	raw := k.syn.expand(b)
	nDocs := len(idx.articles)
	idfs := map[string]float64{}
	for t := range raw {
		idfs[t] = idf(nDocs, idx.df[t])
	}
	lang = strings.ToLower(strings.TrimSpace(lang))
	var hits []ArticleHit
	for i, a := range idx.articles {
		if lang != "" && a.Language != "" && !sameLanguage(a.Language, lang) {
			continue
		}
		d := idx.bags[i]
		norm := bm25K1 * (1 - bm25B + bm25B*d.length/idx.avg)
		sc := 0.0
		for t, w := range raw {
			if tf := d.terms[t]; tf > 0 {
				qw := w * 1.5 / (0.5 + w)
				sc += qw * idfs[t] * tf * (bm25K1 + 1) / (tf + norm)
			}
		}
		if sc <= 0 {
			continue
		}
		hits = append(hits, ArticleHit{Article: a, Score: sc, Coverage: coverage(b, raw, d, idx.df, k.syn)})
	}
	slices.SortStableFunc(hits, func(x, y ArticleHit) int { return cmp.Compare(y.Score, x.Score) })
	if len(hits) > n {
		hits = hits[:n]
	}
	return hits
}

// coverage is the share of the question's words the article has (a
// synonym counting synonymWeight). A word no article has at all counts
// for little against it (unknownWeight): it is more likely the customer's
// context ("I sent it back two weeks ago") than a subject the knowledge
// base lacks; a word other articles have counts in full.
func coverage(q *bag, raw map[string]float64, d *bag, df map[string]int, syn *synonyms) float64 {
	const unknownWeight = 0.2
	covered, total := 0.0, 0.0
	for t := range q.terms {
		if d.terms[t] > 0 {
			covered++
			total++
			continue
		}
		best := 0.0
		for _, o := range syn.of[t] {
			if d.terms[o] > 0 {
				best = synonymWeight
			}
		}
		known := df[t] > 0
		for _, o := range syn.of[t] {
			known = known || df[o] > 0
		}
		switch {
		case best > 0:
			covered += best
			total++
		case known:
			total++
		default:
			total += unknownWeight
		}
	}
	if total == 0 {
		return 0
	}
	return covered / total
}

// sameLanguage: "de" matches "de-AT" and "de_at".
func sameLanguage(a, b string) bool {
	base := func(s string) string {
		s, _, _ = strings.Cut(strings.ReplaceAll(s, "_", "-"), "-")
		return s
	}
	return base(a) == base(b)
}

var (
	mdLinkRE  = regexp.MustCompile(`!?\[([^\]]*)\]\(([^)\s]+)[^)]*\)`)
	mdMarksRE = regexp.MustCompile("(\\*\\*|__|`)")
)

// PlainText turns Markdown into readable plain text: headings, emphasis
// and code marks go, links become "text (url)".
func PlainText(md string) string {
	md = mdLinkRE.ReplaceAllStringFunc(md, func(m string) string {
		sub := mdLinkRE.FindStringSubmatch(m)
		if strings.HasPrefix(m, "!") || sub[1] == "" || sub[1] == sub[2] {
			return sub[2]
		}
		return sub[1] + " (" + sub[2] + ")"
	})
	md = mdMarksRE.ReplaceAllString(md, "")
	var b strings.Builder
	for line := range strings.Lines(md) {
		t := strings.TrimLeft(line, " ")
		if strings.HasPrefix(t, "#") {
			line = strings.TrimLeft(t, "# ")
		}
		b.WriteString(line)
	}
	return strings.TrimSpace(b.String())
}

func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return strings.TrimSpace(string(r[:n-1])) + "…"
}
