package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestAnswersNeedNothingConfiguredAndTheAIIsOffUntilAURLIsSet(t *testing.T) {
	cfg, err := parse(t, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	a := cfg.Answers
	if a.KBDir != "" || a.AutoSuggest || a.LLMOn() || a.DeflectionOn() || a.Suggestions != 3 || a.StaffLanguage != "English" ||
		a.LLM.Timeout.D() != time.Minute || a.LLM.Workers != 2 || a.LLM.Queue != 16 || a.KBReload.D() != 10*time.Second {
		t.Errorf("answers defaults = %+v", a)
	}
}

func TestAnswersKBDirIsRelativeToTheConfigAndTheKeyFileIsRead(t *testing.T) {
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "kb"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "llm.key"), []byte("sk-local\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	yml := "console: {enabled: true}\nanswers:\n  kb_dir: kb\n  auto_suggest: true\n  synonyms: [\"lamp, light, bulb\"]\n" +
		"  llm:\n    url: http://localhost:11434/v1\n    model: llama3.1\n    api_key_file: " + filepath.Join(dir, "llm.key") + "\n    timeout: 2m\n"
	cfg, err := Parse(filepath.Join(dir, "config.yaml"), []byte(yml), MapEnv(nil))
	if err != nil {
		t.Fatal(err)
	}
	a := cfg.Answers
	if a.KBDir != filepath.Join(dir, "kb") || !a.DeflectionOn() || !a.AutoSuggest || a.LLM.APIKey != "sk-local" {
		t.Errorf("answers = %+v", a)
	}
	if o := a.LLMOptions(); o.Model != "llama3.1" || o.Timeout != 2*time.Minute || o.APIKey != "sk-local" {
		t.Errorf("llm options = %+v", o)
	}
	if s := a.SuggestOptions(); len(s.Synonyms) != 1 || s.Count != 3 {
		t.Errorf("suggest options = %+v", s)
	}
	cfg, err = Parse(filepath.Join(dir, "config.yaml"), []byte(yml+"  deflection: false\n"), MapEnv(map[string]string{"THREADLINE_LLM_URL": "http://gpu.internal:8000"}))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Answers.DeflectionOn() || cfg.Answers.LLM.URL != "http://gpu.internal:8000" {
		t.Errorf("answers = %+v", cfg.Answers)
	}
}

func TestAnswersErrorsHaveLines(t *testing.T) {
	yml := "answers:\n  kb_dir: /no/such/folder\n  auto_confidence: 3\n  suggestions: 50\n  synonyms: [lamp]\n" +
		"  llm:\n    url: localhost:11434\n    timeout: 1h\n    temperature: 5\n    workers: 99\n"
	_, err := parse(t, yml, nil)
	if err == nil {
		t.Fatal("no error")
	}
	got := err.Error()
	for _, want := range []string{
		"config.yaml:2: answers.kb_dir: stat /no/such/folder: no such file or directory (create the folder",
		"config.yaml:3: answers.auto_confidence: 3 is more than 1",
		"config.yaml:4: answers.suggestions: 50 is too many",
		`config.yaml:5: answers.synonyms[0]: "lamp": a group needs two or more words`,
		`config.yaml:7: answers.llm.url: "localhost:11434" is not an http(s) URL`,
		"answers.llm.model: is required with llm.url",
		"config.yaml:8: answers.llm.timeout: must be between 1s and 10m",
		"config.yaml:9: answers.llm.temperature: 5 is above 2",
		"config.yaml:10: answers.llm.workers: 99 is too many",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("missing %q in:\n%s", want, got)
		}
	}
	if _, err := parse(t, "answers:\n  llm:\n    model: llama3.1\n", nil); err == nil || !strings.Contains(err.Error(), "answers.llm.url: is required with llm.model") {
		t.Errorf("a model without a url: %v", err)
	}
}
