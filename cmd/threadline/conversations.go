package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/threadlinehq/threadline/bridge"
	"github.com/threadlinehq/threadline/commands"
	"github.com/threadlinehq/threadline/store"
)

func (c *cli) conversationsCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:     "conversations",
		Aliases: []string{"conv", "c"},
		Short:   "List, show and search conversations (reads the database directly)",
	}
	var status string
	var limit int
	var asJSON bool
	list := &cobra.Command{
		Use:   "list",
		Short: "List conversations, most recently active first",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, st, err := c.openReadOnly()
			if err != nil {
				return err
			}
			defer st.Close()
			f := store.ListFilter{Limit: limit}
			switch status {
			case "active", "":
			case "all":
				f.All = true
			case "open", "waiting", "closed":
				f.Statuses = []bridge.Status{bridge.Status(status)}
			default:
				return &exitError{code: 2, err: fmt.Errorf("--status must be active, open, waiting, closed or all, not %q", status)}
			}
			convs, err := st.ListConversations(cmd.Context(), f)
			if err != nil {
				return err
			}
			if asJSON {
				return json.NewEncoder(c.stdout).Encode(convs)
			}
			if len(convs) == 0 {
				fmt.Fprintln(c.stdout, "No conversations. Open the web chat demo page and write one.")
				return nil
			}
			now := time.Now()
			tw := tabwriter.NewWriter(c.stdout, 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tSTATUS\tPRIORITY\tOWNER\tCHANNEL\tCUSTOMER\tMSGS\tACTIVE\tSUBJECT")
			for _, v := range convs {
				owner := v.OwnerName
				if owner == "" {
					owner = "-"
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%d\t%s ago\t%s\n", v.ID, v.Status, v.Priority, owner, v.Channel,
					clip(v.CustomerName, 24), v.MessageCount, commands.Ago(now, v.UpdatedAt), clip(v.Subject, 50))
			}
			return tw.Flush()
		},
	}
	list.Flags().StringVar(&status, "status", "active", "active (open+waiting), open, waiting, closed or all")
	list.Flags().IntVar(&limit, "limit", 50, "how many to show")
	list.Flags().BoolVar(&asJSON, "json", false, "print JSON")

	var showJSON bool
	show := &cobra.Command{
		Use:   "show ID",
		Short: "Show a conversation's status and transcript (notes and system messages included)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := parseConvArg(args[0])
			if err != nil {
				return err
			}
			_, st, err := c.openReadOnly()
			if err != nil {
				return err
			}
			defer st.Close()
			v, err := st.ConversationView(cmd.Context(), id)
			if errors.Is(err, bridge.ErrNotFound) {
				return fmt.Errorf("there is no conversation %s", id)
			}
			if err != nil {
				return err
			}
			ms, err := st.Messages(cmd.Context(), id, 0)
			if err != nil {
				return err
			}
			if showJSON {
				return json.NewEncoder(c.stdout).Encode(map[string]any{"conversation": v, "messages": ms})
			}
			fmt.Fprintln(c.stdout, commands.FormatStatus(v, time.Now()))
			fmt.Fprintln(c.stdout)
			for _, m := range ms {
				fmt.Fprintln(c.stdout, formatMessage(m))
			}
			return nil
		},
	}
	show.Flags().BoolVar(&showJSON, "json", false, "print JSON")

	var searchLimit int
	search := &cobra.Command{
		Use:   "search TEXT",
		Short: "Full-text search over all messages (every word must match)",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			_, st, err := c.openReadOnly()
			if err != nil {
				return err
			}
			defer st.Close()
			hits, err := st.Search(cmd.Context(), strings.Join(args, " "), searchLimit)
			if err != nil {
				return err
			}
			if len(hits) == 0 {
				fmt.Fprintln(c.stdout, "No matches.")
				return nil
			}
			for _, h := range hits {
				fmt.Fprintf(c.stdout, "%s  %s  %-8s %s: %s\n", h.Conversation, h.CreatedAt.Local().Format("2006-01-02 15:04"), h.Direction, h.Author, h.Snippet)
			}
			return nil
		},
	}
	search.Flags().IntVar(&searchLimit, "limit", 50, "how many matches to show")
	cmd.AddCommand(list, show, search)
	return cmd
}

func formatMessage(m bridge.Message) string {
	var who string
	switch m.Direction {
	case bridge.DirCustomer:
		who = m.Author + " (customer)"
	case bridge.DirStaff:
		who = m.Author + " → customer"
	case bridge.DirNote:
		who = m.Author + " [note]"
	default:
		who = "⚙"
	}
	body := strings.ReplaceAll(m.Body, "\n", "\n                   ")
	line := fmt.Sprintf("%s  %s: %s", m.CreatedAt.Local().Format("2006-01-02 15:04"), who, body)
	for _, a := range m.Attachments {
		line += fmt.Sprintf("\n                   📎 %s %s", a.Name, a.URL)
	}
	return line
}

func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
