//! Exporter options as flags of `run` and `backfill` (`--min-games 5`), with their help text in
//! `run --help`.
//!
//! Exporters declare their options in their manifests, so the command line is parsed twice: a
//! first, lenient pass reads which plugins the command would load (`--plugins`, `--only` or
//! `--job`, the cache and settings) and the logging flags, and starts logging; the jobs layer
//! loads the plugins and lists their options, and hands them on to the run; the second pass is
//! clap's own, on the command with one argument per option added. A mistyped host flag is then
//! clap's unknown argument with its suggestion, and `--param NAME=VALUE` still sets any option.

use std::ffi::OsString;

use clap::{Arg, ArgAction, ArgMatches, CommandFactory, FromArgMatches};

use super::{Cli, Command, LogArgs, PublishArgs};
use crate::jobs::{ExporterOption, OptionsRequest, Preloaded};

/// The subcommands that take exporter options.
const TAKING_OPTIONS: [&str; 2] = ["run", "backfill"];

/// The heading exporter options are listed under in `--help`.
const HEADING: &str = "Exporter options";

/// Parses the command line (exiting with clap's message and code on a usage error, or after
/// printing help), and for `run` and `backfill` the plugins loaded to read their options.
/// `start_logging` is called once with the logging flags, before any plugin is loaded, so
/// loading is logged as the flags ask.
pub(crate) fn parse(
    args: Vec<OsString>,
    start_logging: impl FnOnce(&LogArgs) -> anyhow::Result<()>,
) -> anyhow::Result<(Cli, Option<Preloaded>)> {
    let command = Cli::command();
    let Some(subcommand) = subcommand_of(&command, &args) else {
        let cli = Cli::parse_from_matches(command.get_matches_from(args));
        start_logging(&cli.log)?;
        return Ok((cli, None));
    };
    let mut start_logging = Some(start_logging);
    let (options, preloaded, read) = match options_request(&command, &args, subcommand) {
        None => (Vec::new(), None, Reading::NotTried),
        Some((log, request)) => {
            (start_logging.take().expect("called once"))(&log)?;
            match crate::jobs::exporter_options(&request) {
                Ok((options, preloaded)) => (options, Some(preloaded), Reading::Read),
                Err(error) => (Vec::new(), None, Reading::Failed(error)),
            }
        }
    };
    let command = with_exporter_options(command, subcommand, &options, &read);
    let matches = match command.try_get_matches_from(args) {
        Ok(matches) => matches,
        Err(error) => {
            if let (clap::error::ErrorKind::UnknownArgument, Reading::Failed(unread)) =
                (error.kind(), &read)
            {
                eprintln!("propcast: the exporters' options could not be read: {unread:#}");
            }
            error.exit()
        }
    };
    let mut cli = Cli::parse_from_matches(matches.clone());
    let sub_matches = matches
        .subcommand_matches(subcommand)
        .expect("the subcommand was found in the arguments");
    let params = params_in_order(sub_matches, &options);
    match &mut cli.command {
        Command::Run(args) => args.publish.params = params,
        Command::Backfill(args) => args.publish.params = params,
        _ => unreachable!("only run and backfill take exporter options"),
    }
    if let Some(start_logging) = start_logging {
        start_logging(&cli.log)?;
    }
    Ok((cli, preloaded))
}

/// Whether the exporters' options were read for the command line.
enum Reading {
    /// The first pass could not tell which plugins to read (clap's own pass says why).
    NotTried,
    Read,
    /// The plugins could not be loaded.
    Failed(anyhow::Error),
}

impl Cli {
    /// The parsed command from clap's matches; exits with clap's message when they do not fit.
    fn parse_from_matches(matches: ArgMatches) -> Cli {
        Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit())
    }
}

/// Which of `run` and `backfill` `args` runs, if either: the first argument that is neither a
/// global flag nor a global flag's value.
fn subcommand_of(command: &clap::Command, args: &[OsString]) -> Option<&'static str> {
    let mut rest = args.iter().skip(1);
    while let Some(arg) = rest.next() {
        let text = arg.to_string_lossy();
        if let Some(long) = text.strip_prefix("--") {
            let takes_value = command
                .get_arguments()
                .find(|a| a.get_long() == Some(long))
                .is_some_and(|a| a.get_action().takes_values());
            if takes_value {
                rest.next();
            }
        } else if !text.starts_with('-') {
            return TAKING_OPTIONS.into_iter().find(|c| *c == text);
        }
    }
    None
}

/// The logging flags and the plugins the command line would load, read by a lenient first pass:
/// without help and the flags `subcommand` does not know (exporter options, with their values),
/// and without failing on missing flags. `None` when even that pass cannot read it, e.g. a bad
/// value (clap's own pass will say what is wrong).
fn options_request(
    command: &clap::Command,
    args: &[OsString],
    subcommand: &str,
) -> Option<(LogArgs, OptionsRequest)> {
    let known: Vec<&str> = command
        .find_subcommand(subcommand)?
        .get_arguments()
        .chain(command.get_arguments())
        .filter_map(Arg::get_long)
        .collect();
    let mut kept = Vec::with_capacity(args.len());
    let mut rest = args.iter().peekable();
    while let Some(arg) = rest.next() {
        let text = arg.to_string_lossy();
        if text == "--" {
            break;
        }
        if text == "-h" || text == "--help" {
            continue;
        }
        if let Some(flag) = text.strip_prefix("--") {
            let (name, inline_value) = match flag.split_once('=') {
                Some((name, _)) => (name, true),
                None => (flag, false),
            };
            if !known.contains(&name) {
                if !inline_value {
                    rest.next_if(|next| !next.to_string_lossy().starts_with("--"));
                }
                continue;
            }
        }
        kept.push(arg.clone());
    }
    let matches = command
        .clone()
        .ignore_errors(true)
        .try_get_matches_from(kept)
        .ok()?;
    let log = LogArgs::from_arg_matches(&matches).ok()?;
    let sub_matches = matches.subcommand_matches(subcommand)?;
    let publish = PublishArgs::from_arg_matches(sub_matches).ok()?;
    let job = match subcommand {
        "run" => sub_matches.get_one::<String>("job").cloned(),
        _ => None,
    };
    let request = OptionsRequest {
        only: publish.only.clone(),
        job,
        load: super::load_request(&publish.plugins, &publish.settings),
    };
    Some((log, request))
}

/// `command` with `subcommand` taking each of `options` as a flag, listed under its own heading
/// in `--help`; when the options could not be read, its help says why.
fn with_exporter_options(
    command: clap::Command,
    subcommand: &'static str,
    options: &[ExporterOption],
    read: &Reading,
) -> clap::Command {
    command.mut_subcommand(subcommand, |sub| {
        let sub = options.iter().fold(sub, |sub, option| {
            sub.arg(
                Arg::new(arg_id(&option.name))
                    .long(option.name.clone())
                    .value_name(option.value_name)
                    .help(option.help.clone())
                    .help_heading(HEADING)
                    .allow_negative_numbers(true)
                    .action(ArgAction::Append),
            )
        });
        match read {
            Reading::Failed(error) => sub.after_help(format!(
                "{HEADING}: the plugins could not be read, so their options are not listed \
                 ({error:#})"
            )),
            Reading::Read if options.is_empty() => {
                sub.after_help(format!("{HEADING}: the selected exporters declare none"))
            }
            Reading::Read | Reading::NotTried => sub,
        }
    })
}

/// The id of an exporter option's argument, apart from the host's own argument ids.
fn arg_id(name: &str) -> String {
    format!("exporter-option:{name}")
}

/// Every option given, as `--param NAME=VALUE` or as its own flag, in the order of the command
/// line, so that the last value of a name wins whichever way each was written.
fn params_in_order(matches: &ArgMatches, options: &[ExporterOption]) -> Vec<(String, String)> {
    let mut given: Vec<(usize, (String, String))> = Vec::new();
    if let (Some(indices), Some(values)) = (
        matches.indices_of("params"),
        matches.get_many::<(String, String)>("params"),
    ) {
        given.extend(indices.zip(values.cloned()));
    }
    for option in options {
        let id = arg_id(&option.name);
        if let (Some(indices), Some(values)) =
            (matches.indices_of(&id), matches.get_many::<String>(&id))
        {
            given.extend(indices.zip(values.map(|v| (option.name.clone(), v.clone()))));
        }
    }
    given.sort_by_key(|(index, _)| *index);
    given.into_iter().map(|(_, param)| param).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(words: &[&str]) -> Vec<OsString> {
        std::iter::once("propcast")
            .chain(words.iter().copied())
            .map(OsString::from)
            .collect()
    }

    fn options() -> Vec<ExporterOption> {
        ["min-games", "top"]
            .map(|name| ExporterOption {
                name: name.to_string(),
                value_name: "INT",
                help: format!("The {name} (`best-bets`, default 5)"),
            })
            .to_vec()
    }

    fn matches(words: &[&str]) -> Result<ArgMatches, clap::Error> {
        with_exporter_options(Cli::command(), "run", &options(), &Reading::Read)
            .try_get_matches_from(args(words))
    }

    #[test]
    fn the_subcommand_is_found_past_global_flags_and_their_values() {
        let command = Cli::command();
        let found = |w: &[&str]| subcommand_of(&command, &args(w));
        assert_eq!(
            found(&["--log-format", "json", "run", "--date", "x"]),
            Some("run")
        );
        assert_eq!(found(&["-v", "backfill"]), Some("backfill"));
        assert_eq!(found(&["plugins", "run"]), None);
        assert_eq!(found(&["--log-format=json", "jobs"]), None);
    }

    #[test]
    fn an_option_takes_a_negative_number() {
        let m = matches(&["run", "--date", "2024-01-10", "--top", "-1"]).unwrap();
        let run = m.subcommand_matches("run").unwrap();
        assert_eq!(
            params_in_order(run, &options()),
            [("top".to_string(), "-1".to_string())]
        );
    }

    #[test]
    fn options_and_params_keep_the_order_they_were_given_in() {
        let m = matches(&[
            "run",
            "--date",
            "2024-01-10",
            "--min-games",
            "5",
            "--param",
            "top=3",
            "--min-games=7",
        ])
        .unwrap();
        let run = m.subcommand_matches("run").unwrap();
        assert_eq!(
            params_in_order(run, &options()),
            [("min-games", "5"), ("top", "3"), ("min-games", "7")]
                .map(|(n, v)| (n.to_string(), v.to_string()))
        );
    }

    #[test]
    fn a_mistyped_host_flag_is_an_unknown_argument_with_a_suggestion() {
        let err = matches(&["run", "--date", "2024-01-10", "--generated-att", "x"]).unwrap_err();
        assert_eq!(err.kind(), clap::error::ErrorKind::UnknownArgument);
        let text = err.to_string();
        assert!(text.contains("'--generated-at'"), "{text}");
        let err = matches(&["run", "--date", "2024-01-10", "--min-game", "5"]).unwrap_err();
        assert!(err.to_string().contains("'--min-games'"), "{err}");
    }

    #[test]
    fn help_lists_the_options_under_their_heading() {
        let mut command = with_exporter_options(Cli::command(), "run", &options(), &Reading::Read);
        let help = command
            .find_subcommand_mut("run")
            .unwrap()
            .render_help()
            .to_string();
        let heading = help.find("Exporter options:").expect(&help);
        let option = help.find("--min-games <INT>").expect(&help);
        assert!(heading < option, "{help}");
        assert!(
            help.contains("The min-games (`best-bets`, default 5)"),
            "{help}"
        );
    }

    #[test]
    fn the_first_pass_reads_the_plugins_past_exporter_options_and_help() {
        let (log, request) = options_request(
            &Cli::command(),
            &args(&[
                "run",
                "--min-games",
                "5",
                "--plugins",
                "here",
                "--top=3",
                "--only",
                "best-bets",
                "--help",
                "-vv",
                "--job",
                "nightly",
            ]),
            "run",
        )
        .unwrap();
        assert_eq!(log.verbosity(), 2);
        assert_eq!(request.job.as_deref(), Some("nightly"));
        assert_eq!(request.only, ["best-bets"]);
        assert_eq!(
            request.load.plugins.as_deref(),
            Some(std::path::Path::new("here"))
        );
        let request = options_request(
            &Cli::command(),
            &args(&["backfill", "--only", "streaks"]),
            "backfill",
        );
        assert_eq!(
            request.unwrap().1.only,
            ["streaks"],
            "missing required flags are not fatal here"
        );
    }
}
