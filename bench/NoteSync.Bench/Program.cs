using NoteSync.Bench.Devices;
using NoteSync.Bench.Measure;
using NoteSync.Bench.Options;
using NoteSync.Bench.Output;
using NoteSync.Bench.Scenarios;
using NoteSync.Bench.Scenarios.History;
using NoteSync.Bench.Scenarios.Merge;

BenchOptions options;
try
{
    options = BenchOptionsParser.Parse(args);
}
catch (ArgumentException e)
{
    if (e.Message != "help")
    {
        Console.Error.WriteLine($"error: {e.Message}");
    }

    Console.Error.WriteLine(BenchOptionsParser.Usage);
    return 2;
}

foreach (var pid in options.ServerPids.Concat(options.RedisPids))
{
    if (!ProcFs.Exists(pid))
    {
        Console.Error.WriteLine($"error: pid {pid} (--server-pid/--redis-pid): no such process (/proc/{pid}/stat)");
        return 2;
    }
}

using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(options.MaxSeconds));
// Cancellation is cooperative; should something ignore it, the process still ends shortly after the deadline.
var watchdog = new Thread(() =>
{
    Thread.Sleep(TimeSpan.FromSeconds(options.MaxSeconds + 15));
    Console.Error.WriteLine($"error: hard deadline of {options.MaxSeconds} s passed; exiting");
    Environment.Exit(3);
})
{ IsBackground = true, Name = "deadline-watchdog" };
watchdog.Start();

var log = new ResultLog(options.Out ?? ResultLog.DefaultPath(DateTime.UtcNow));
using var connector = new DeviceConnector(options.Urls, options.Token);
var context = new BenchContext(options, connector, deadline.Token);
Console.WriteLine($"NoteSync.Bench {options.Scenario} -> {string.Join(",", options.Urls)} run {context.RunId}, results {log.Path}");

var allOk = true;
void Emit(ScenarioReport report)
{
    allOk &= report.Ok;
    log.Append(report.Record);
    TablePrinter.Print(report, Console.Out);
}

try
{
    switch (options.Scenario)
    {
        case "fanout":
            var p = new FanoutParams(options.Groups, options.Devices, options.Writes, options.Rate, options.Warmup,
                options.MinSize, options.MaxSize, options.DrainSeconds, options.Seed);
            Emit((await new FanoutScenario(context).RunAsync(p, "fanout", "", 0)).Report);
            break;
        case "merge":
            Emit(await new MergeScenario(context).RunAsync());
            break;
        case "history":
            Emit(await new HistoryScenario(context).RunAsync());
            break;
        case "catchup":
            Emit(await new CatchupScenario(context).RunAsync());
            break;
        case "idle":
            Emit(await new IdleScenario(context).RunAsync());
            break;
        case "cli":
            Emit(await new CliScenario(context).RunAsync());
            break;
        case "storage":
            Emit(await new StorageScenario(context).RunAsync());
            break;
        case "sweep":
            var steps = await new SweepScenario(context).RunAsync(report => log.Append(report.Record));
            allOk = steps[^1].Ok;
            log.Append(steps[^1].Record);
            foreach (var step in steps)
            {
                TablePrinter.Print(step, Console.Out);
            }

            break;
    }
}
catch (Exception e)
{
    var record = context.NewRecord(options.Scenario);
    record["ok"] = false;
    record["error"] = deadline.IsCancellationRequested ? $"hard deadline of {options.MaxSeconds} s reached" : $"{e.GetType().Name}: {e.Message}";
    log.Append(record);
    Console.Error.WriteLine($"error: {record["error"]}");
    return 1;
}

Console.WriteLine();
Console.WriteLine($"results appended to {log.Path}");
return allOk ? 0 : 1;
