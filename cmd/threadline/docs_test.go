package main

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode"
)

// The README is the front door and the guides live in docs/. These tests
// keep the two honest: every relative link and anchor resolves, the README
// stays short and links every guide, and every guide links back.

const readmeMaxLines = 400

var (
	mdLink    = regexp.MustCompile(`!?\[(?:[^\[\]]|\[[^\]]*\])*\]\(([^)\s]+)(?:\s+"[^"]*")?\)`)
	htmlLink  = regexp.MustCompile(`<(?:img|a)\s[^>]*?(?:src|href)="([^"]+)"`)
	inlineMD  = regexp.MustCompile("`[^`]*`")
	headingMD = regexp.MustCompile(`^(#{1,6})\s+(.*?)\s*#*\s*$`)
)

// docFile is one markdown file: its links and the anchors of its headings.
type docFile struct {
	path    string // relative to the repository root, with slashes
	lines   int
	links   []docLink
	anchors map[string]bool
}

type docLink struct {
	line   int
	target string
}

func readDoc(t *testing.T, root, rel string) docFile {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(rel)))
	if err != nil {
		t.Fatal(err)
	}
	d := docFile{path: rel, anchors: map[string]bool{}}
	seen := map[string]int{}
	fence := false
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	d.lines = len(lines)
	for i, line := range lines {
		if strings.HasPrefix(strings.TrimSpace(line), "```") {
			fence = !fence
			continue
		}
		if fence {
			continue
		}
		if m := headingMD.FindStringSubmatch(line); m != nil {
			slug := githubSlug(m[2])
			if n := seen[slug]; n > 0 {
				d.anchors[fmt.Sprintf("%s-%d", slug, n)] = true
			} else {
				d.anchors[slug] = true
			}
			seen[slug]++
		}
		text := inlineMD.ReplaceAllString(line, "")
		for _, re := range []*regexp.Regexp{mdLink, htmlLink} {
			for _, m := range re.FindAllStringSubmatch(text, -1) {
				d.links = append(d.links, docLink{line: i + 1, target: m[1]})
			}
		}
	}
	return d
}

// githubSlug is the anchor GitHub gives a heading: link and code markup
// dropped, lower case, punctuation removed, spaces turned into hyphens.
func githubSlug(heading string) string {
	heading = regexp.MustCompile(`\[([^\]]*)\]\([^)]*\)`).ReplaceAllString(heading, "$1")
	var b strings.Builder
	for _, r := range strings.ToLower(heading) {
		switch {
		case r == ' ':
			b.WriteRune('-')
		case r == '-' || r == '_' || unicode.IsLetter(r) || unicode.IsNumber(r) || unicode.Is(unicode.Mn, r):
			b.WriteRune(r)
		}
	}
	return b.String()
}

func loadDocs(t *testing.T) (root string, docs map[string]docFile, guides []string) {
	t.Helper()
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	docs = map[string]docFile{"README.md": readDoc(t, root, "README.md")}
	names, err := filepath.Glob(filepath.Join(root, "docs", "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range names {
		rel := "docs/" + filepath.Base(n)
		docs[rel] = readDoc(t, root, rel)
		if rel != "docs/CONFIG.md" {
			guides = append(guides, rel)
		}
	}
	if len(guides) == 0 {
		t.Fatal("no guides in docs/")
	}
	return root, docs, guides
}

func TestDocsRelativeLinksResolve(t *testing.T) {
	root, docs, _ := loadDocs(t)
	for _, d := range docs {
		for _, l := range d.links {
			if strings.Contains(l.target, "://") || strings.HasPrefix(l.target, "mailto:") {
				continue
			}
			target, frag, _ := strings.Cut(l.target, "#")
			rel := d.path
			if target != "" {
				rel = filepath.ToSlash(filepath.Clean(filepath.Join(filepath.Dir(d.path), target)))
				if _, err := os.Stat(filepath.Join(root, filepath.FromSlash(rel))); err != nil {
					t.Errorf("%s:%d: link to %s: no such file", d.path, l.line, l.target)
					continue
				}
			}
			if frag == "" {
				continue
			}
			td, ok := docs[rel]
			if !ok {
				if strings.HasSuffix(rel, ".md") {
					td = readDoc(t, root, rel)
				} else {
					t.Errorf("%s:%d: link to %s: an anchor in a file that is not markdown", d.path, l.line, l.target)
					continue
				}
			}
			if !td.anchors[frag] {
				t.Errorf("%s:%d: link to %s: %s has no heading with anchor #%s", d.path, l.line, l.target, rel, frag)
			}
		}
	}
}

func TestReadmeIsAShortFrontDoorThatLinksEveryGuide(t *testing.T) {
	_, docs, guides := loadDocs(t)
	readme := docs["README.md"]
	if readme.lines > readmeMaxLines {
		t.Errorf("README.md has %d lines; keep it under %d and move detail into docs/", readme.lines, readmeMaxLines)
	}
	var linked []string
	for _, l := range readme.links {
		target, _, _ := strings.Cut(l.target, "#")
		linked = append(linked, target)
	}
	for _, g := range append(guides, "docs/CONFIG.md") {
		if !slices.Contains(linked, g) {
			t.Errorf("README.md does not link %s", g)
		}
	}
}

func TestEveryGuideSaysWhatItCoversAndLinksBack(t *testing.T) {
	root, _, guides := loadDocs(t)
	for _, g := range guides {
		b, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(g)))
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.SplitN(string(b), "\n", 5)
		if len(lines) < 4 || !strings.HasPrefix(lines[0], "# ") || lines[1] != "" ||
			!strings.Contains(lines[2]+lines[3], "](../README.md)") {
			t.Errorf("%s: want a title, then one line saying what it covers with a link back to ../README.md", g)
		}
	}
}
