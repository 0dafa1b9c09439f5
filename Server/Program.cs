var builder = WebApplication.CreateBuilder(new WebApplicationOptions
{
    Args = args,
    // appsettings.json is copied beside the binary, so the server reads the same file from any working directory.
    ContentRootPath = AppContext.BaseDirectory,
});

var app = builder.Build();
app.Run();

/// <summary>The entry point, public so functional tests can host it.</summary>
public partial class Program;
