package main

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/threadlinehq/threadline/bridge"
	"github.com/threadlinehq/threadline/store"
)

func (c *cli) customerCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "customer",
		Short: "Find and show customers; forget one (delete all their data) on request",
	}
	find := &cobra.Command{
		Use:   "find EMAIL|ADDRESS|@USERNAME|NAME",
		Short: "Find customers by email, channel address (visitor id, chat id), @username or exact name",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			_, st, err := c.openReadOnly()
			if err != nil {
				return err
			}
			defer st.Close()
			found, err := st.FindCustomers(cmd.Context(), args[0])
			if err != nil {
				return &exitError{code: 2, err: err}
			}
			if len(found) == 0 {
				fmt.Fprintf(c.stdout, "No customer matches %q.\n", args[0])
				return nil
			}
			tw := tabwriter.NewWriter(c.stdout, 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tNAME\tEMAIL\tIDENTITIES\tCONVERSATIONS\tSINCE")
			for _, cu := range found {
				ids, err := st.CustomerIdentities(cmd.Context(), cu.ID)
				if err != nil {
					return err
				}
				fp, err := st.CustomerFootprint(cmd.Context(), cu.ID)
				if err != nil {
					return err
				}
				var names []string
				for _, id := range ids {
					names = append(names, string(id.Platform)+":"+id.Address)
				}
				fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%d\t%s\n", cu.ID, orDash(cu.Name), orDash(cu.Email), clip(strings.Join(names, ", "), 60),
					fp.Conversations, cu.CreatedAt.Local().Format("2006-01-02"))
			}
			return tw.Flush()
		},
	}
	show := &cobra.Command{
		Use:   "show ID",
		Short: "Show a customer: identities, how much data, recent conversations",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := parseCustomerArg(args[0])
			if err != nil {
				return err
			}
			_, st, err := c.openReadOnly()
			if err != nil {
				return err
			}
			defer st.Close()
			return c.showCustomer(cmd, st, id)
		},
	}
	var yes bool
	forget := &cobra.Command{
		Use:   "forget ID",
		Short: "Delete everything stored about a customer (on their request)",
		Long: `Delete a customer's conversations with all messages, their identities, the
attachment files their messages stored under <data_dir>/attachments, the audit
rows of their conversations, pending deliveries to them, and the customer row.
One audit record remains: "customer_forgotten" with the id and the counts, no
personal data. Safe while the daemon runs. Copies already posted to Slack or
Discord threads, or sent by email, are not touched: delete those there.

Find the id with "threadline customer find EMAIL". Asks for confirmation
unless --yes.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := parseCustomerArg(args[0])
			if err != nil {
				return err
			}
			cfg, st, err := c.openReadOnly()
			if err != nil {
				return err
			}
			defer st.Close()
			if err := c.showCustomer(cmd, st, id); err != nil {
				return err
			}
			fp, err := st.CustomerFootprint(cmd.Context(), id)
			if err != nil {
				return err
			}
			if !yes {
				fmt.Fprintf(c.stdout, "\nThis deletes customer %d for good: %d conversations, %d messages, %d identities, %d messages with stored files.\nType the customer id to confirm: ",
					id, fp.Conversations, fp.Messages, fp.Identities, fp.Files)
				line, _ := bufio.NewReader(c.stdin).ReadString('\n')
				if strings.TrimSpace(line) != strconv.FormatInt(int64(id), 10) {
					return &exitError{code: 1, err: errors.New("not confirmed; nothing was deleted")}
				}
			}
			bar := newProgress(c.stderr, "Forgetting", "rows", int64(fp.Messages+fp.Conversations))
			files := 0
			actor := bridge.Actor{ID: bridge.StaffID("cli:" + os.Getenv("USER")), Name: "threadline customer forget"}
			d, err := st.ForgetCustomer(cmd.Context(), id, actor, store.DeleteOptions{Batch: cfg.Retention.Batch,
				Progress: func(d store.Deleted) { bar.Set(int64(d.Messages+d.Conversations), 0) },
				Files:    func(paths []string) { files += removeAttachments(cfg.DataDir, paths, c.cliLogger()) }})
			bar.Done()
			if err != nil {
				return err
			}
			fmt.Fprintf(c.stdout, "Forgot customer %d: deleted %d conversations, %d messages, %d identities, %d attachment files, %d audit rows, %d outbox rows.\n",
				id, d.Conversations, d.Messages, d.Identities, files, d.AuditRows, d.OutboxRows)
			fmt.Fprintln(c.stdout, "Kept: one customer_forgotten audit record (id and counts only). Backups taken earlier still hold the data.")
			return nil
		},
	}
	forget.Flags().BoolVar(&yes, "yes", false, "do not ask for confirmation")
	cmd.AddCommand(find, show, forget)
	return cmd
}

func (c *cli) showCustomer(cmd *cobra.Command, st store.DB, id bridge.CustomerID) error {
	ctx := cmd.Context()
	cu, err := st.Customer(ctx, id)
	if errors.Is(err, bridge.ErrNotFound) {
		return fmt.Errorf("there is no customer %d (find one with: threadline customer find EMAIL)", id)
	}
	if err != nil {
		return err
	}
	ids, err := st.CustomerIdentities(ctx, id)
	if err != nil {
		return err
	}
	fp, err := st.CustomerFootprint(ctx, id)
	if err != nil {
		return err
	}
	convs, err := st.CustomerConversations(ctx, id, 10)
	if err != nil {
		return err
	}
	who := orDash(cu.Name)
	if cu.Email != "" {
		who += " <" + cu.Email + ">"
	}
	fmt.Fprintf(c.stdout, "Customer %d: %s, first seen %s\n", cu.ID, who, cu.CreatedAt.Local().Format("2006-01-02 15:04"))
	if cu.Unreachable != "" {
		fmt.Fprintf(c.stdout, "  unreachable: %s\n", cu.Unreachable)
	}
	fmt.Fprintf(c.stdout, "  %d conversations, %d messages, %d messages with stored files\n", fp.Conversations, fp.Messages, fp.Files)
	for _, i := range ids {
		extra := ""
		if i.Username != "" {
			extra += " @" + i.Username
		}
		if i.Email != "" {
			extra += " " + i.Email
		}
		fmt.Fprintf(c.stdout, "  identity  %s:%s  %s%s\n", i.Platform, i.Address, orDash(i.Name), extra)
	}
	for _, v := range convs {
		fmt.Fprintf(c.stdout, "  %-6s %-8s %-9s %3d msgs  %s  %s\n", v.ID, v.Status, v.Channel, v.MessageCount,
			v.UpdatedAt.Local().Format("2006-01-02"), clip(v.Subject, 50))
	}
	return nil
}

func parseCustomerArg(s string) (bridge.CustomerID, error) {
	n, err := strconv.ParseInt(strings.TrimPrefix(s, "#"), 10, 64)
	if err != nil || n <= 0 {
		return 0, &exitError{code: 2, err: fmt.Errorf("%q is not a customer id (a positive number; find it with: threadline customer find EMAIL)", s)}
	}
	return bridge.CustomerID(n), nil
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
