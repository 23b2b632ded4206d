package config

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/threadlinehq/threadline/bridge"
	"github.com/threadlinehq/threadline/bridge/answers"
)

// AnswersConfig is the answers: section (docs/answers.md): suggestions of
// past staff answers (always on: !suggest needs nothing configured), the
// knowledge base, and optional AI drafts through an OpenAI-compatible
// endpoint.
type AnswersConfig struct {
	// KBDir is the knowledge base: a folder of Markdown articles with front
	// matter (title, tags, language), indexed at start and again when a
	// file changes. "" means no knowledge base (!kb and the widget's
	// article offers are off). Relative to the config file.
	KBDir string `yaml:"kb_dir"`
	// KBReload is how often kb_dir is looked at for added, changed or
	// removed articles (default 10s).
	KBReload bridge.Duration `yaml:"kb_reload"`
	// Deflection: the web chat widget offers matching articles while a
	// visitor types, before a conversation opens (default true; needs
	// kb_dir and webchat).
	Deflection *bool `yaml:"deflection"`
	// AutoSuggest posts the best past answer (if it is a confident match)
	// and the best article as a staff-only note when a conversation opens.
	AutoSuggest bool `yaml:"auto_suggest"`
	// AutoConfidence is the least match (0 to 1) a suggestion posted by
	// auto_suggest must have (default 0.3).
	AutoConfidence float64 `yaml:"auto_confidence"`
	// Suggestions is how many past answers !suggest shows (default 3).
	Suggestions int `yaml:"suggestions"`
	// Synonyms are groups of words your customers use for the same thing,
	// comma-separated, one group per item ("lamp, light, bulb"): the names
	// of your own products. Everyday support words are built in.
	Synonyms []string `yaml:"synonyms"`
	// StaffLanguage is what !summary and !translate write in for staff
	// (default English).
	StaffLanguage string `yaml:"staff_language"`
	// LLM is the optional AI endpoint for !draft, !summary and !translate.
	LLM LLMConfig `yaml:"llm"`
}

// LLMConfig is answers.llm: any OpenAI-compatible chat-completions API.
type LLMConfig struct {
	// URL is the API's base: http://localhost:11434/v1 for a local Ollama,
	// http://localhost:8080/v1 for llama.cpp's server, or a hosted API. ""
	// turns the AI commands off (they say how to set this).
	URL string `yaml:"url"`
	// Model is the model name the endpoint knows (llama3.1, qwen2.5:7b ...);
	// required with url.
	Model string `yaml:"model"`
	// APIKey is sent as a bearer token (hosted APIs; a local server needs none).
	APIKey     string `yaml:"api_key"`
	APIKeyFile string `yaml:"api_key_file"`
	// Timeout bounds one request, the answer included (default 60s): a
	// local model on a CPU is slow; the conversation never waits for it.
	Timeout bridge.Duration `yaml:"timeout"`
	// MaxTokens caps an answer's length (default 800).
	MaxTokens int `yaml:"max_tokens"`
	// Temperature of the sampling, 0 to 2 (default 0.2: drafts, not stories).
	Temperature float64 `yaml:"temperature"`
	// Workers is how many requests run at once (default 2).
	Workers int `yaml:"workers"`
	// Queue is how many more requests may wait (default 16) before the
	// commands say the AI is busy.
	Queue int `yaml:"queue"`
}

// Defaults fills unset fields.
func (a *AnswersConfig) Defaults() {
	if a.KBReload <= 0 {
		a.KBReload = bridge.Duration(10 * time.Second)
	}
	if a.Deflection == nil {
		on := true
		a.Deflection = &on
	}
	if a.AutoConfidence <= 0 {
		a.AutoConfidence = 0.3
	}
	if a.Suggestions <= 0 {
		a.Suggestions = 3
	}
	if strings.TrimSpace(a.StaffLanguage) == "" {
		a.StaffLanguage = "English"
	}
	if a.LLM.Timeout <= 0 {
		a.LLM.Timeout = bridge.Duration(60 * time.Second)
	}
	if a.LLM.MaxTokens <= 0 {
		a.LLM.MaxTokens = 800
	}
	if a.LLM.Temperature <= 0 {
		a.LLM.Temperature = 0.2
	}
	if a.LLM.Workers <= 0 {
		a.LLM.Workers = 2
	}
	if a.LLM.Queue <= 0 {
		a.LLM.Queue = 16
	}
}

// DeflectionOn reports whether the widget offers articles.
func (a AnswersConfig) DeflectionOn() bool {
	return a.KBDir != "" && (a.Deflection == nil || *a.Deflection)
}

// LLMOn reports whether an AI endpoint is configured.
func (a AnswersConfig) LLMOn() bool { return a.LLM.URL != "" }

// Validate reports config errors.
func (a AnswersConfig) Validate() error {
	var errs []error
	if a.KBDir != "" {
		if fi, err := os.Stat(a.KBDir); err != nil {
			errs = append(errs, bridge.FieldErrorf("kb_dir", "%v (create the folder, or leave kb_dir unset for no knowledge base)", err))
		} else if !fi.IsDir() {
			errs = append(errs, bridge.FieldErrorf("kb_dir", "%s is not a folder", a.KBDir))
		}
	}
	if d := a.KBReload.D(); d < time.Second || d > 24*time.Hour {
		errs = append(errs, bridge.FieldErrorf("kb_reload", "must be between 1s and 24h"))
	}
	if a.AutoConfidence > 1 {
		errs = append(errs, bridge.FieldErrorf("auto_confidence", "%g is more than 1 (a match is between 0 and 1; 0.3 is a fair start)", a.AutoConfidence))
	}
	if a.Suggestions > 10 {
		errs = append(errs, bridge.FieldErrorf("suggestions", "%d is too many (at most 10)", a.Suggestions))
	}
	for i, g := range a.Synonyms {
		words := 0
		for w := range strings.SplitSeq(g, ",") {
			if strings.TrimSpace(w) != "" {
				words++
			}
		}
		if words < 2 {
			errs = append(errs, bridge.FieldErrorf(fmt.Sprintf("synonyms[%d]", i), "%q: a group needs two or more words, comma-separated (\"lamp, light, bulb\")", g))
		}
	}
	errs = append(errs, a.LLM.validate()...)
	return errors.Join(errs...)
}

func (l LLMConfig) validate() []error {
	var errs []error
	switch {
	case l.URL == "" && l.Model != "":
		errs = append(errs, bridge.FieldErrorf("llm.url", "is required with llm.model (e.g. http://localhost:11434/v1 for Ollama)"))
	case l.URL != "":
		if _, err := answers.ChatURL(l.URL); err != nil {
			errs = append(errs, bridge.FieldErrorf("llm.url", "%q is not an http(s) URL (e.g. http://localhost:11434/v1 for Ollama)", l.URL))
		}
		if strings.TrimSpace(l.Model) == "" {
			errs = append(errs, bridge.FieldErrorf("llm.model", "is required with llm.url: the model's name as the endpoint knows it (e.g. llama3.1)"))
		}
	}
	if d := l.Timeout.D(); d < time.Second || d > 10*time.Minute {
		errs = append(errs, bridge.FieldErrorf("llm.timeout", "must be between 1s and 10m"))
	}
	if l.MaxTokens > 32768 {
		errs = append(errs, bridge.FieldErrorf("llm.max_tokens", "%d is too many (at most 32768)", l.MaxTokens))
	}
	if l.Temperature > 2 {
		errs = append(errs, bridge.FieldErrorf("llm.temperature", "%g is above 2", l.Temperature))
	}
	if l.Workers > 16 {
		errs = append(errs, bridge.FieldErrorf("llm.workers", "%d is too many (at most 16 requests at once)", l.Workers))
	}
	if l.Queue > 1000 {
		errs = append(errs, bridge.FieldErrorf("llm.queue", "%d is too many (at most 1000 waiting requests)", l.Queue))
	}
	return errs
}

// SuggestOptions are the suggester's options.
func (a AnswersConfig) SuggestOptions() answers.SuggestOptions {
	return answers.SuggestOptions{Count: a.Suggestions, Synonyms: answers.ParseSynonyms(a.Synonyms)}
}

// LLMOptions are the AI client's options (only meaningful when LLMOn).
func (a AnswersConfig) LLMOptions() answers.LLMOptions {
	return answers.LLMOptions{URL: a.LLM.URL, Model: strings.TrimSpace(a.LLM.Model), APIKey: a.LLM.APIKey,
		Timeout: a.LLM.Timeout.D(), MaxTokens: a.LLM.MaxTokens, Temperature: a.LLM.Temperature}
}
