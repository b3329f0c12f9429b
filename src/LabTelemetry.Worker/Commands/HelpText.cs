namespace LabTelemetry.Worker.Commands;

internal static class HelpText
{
    public const string Text = """
        LabTelemetry: DS18B20 temperature to MQTT, for the lab "interaction of devices over MQTT".

        Usage: LabTelemetry.Worker [command] [--Section:Key=value ...]

        Commands:
          (none)           run the service: read the sensor, publish DATA/<mac>, log RESULT
          demo             the whole loop on this machine: a built-in broker, a simulated sensor and a grader
                           emulator that answers on RESULT; no network, sensor or configuration needed; Ctrl+C ends it
          check            diagnose: configuration, interface and MAC, 1-Wire and thermometers, clock, broker,
                           login, RESULT subscription; one line each, exit code 1 when anything is wrong
          once [--dry-run] read the sensor, print topic and payload, publish once and wait for the broker's
                           acknowledgement (--dry-run: print only)
          --help           this text
          --version        the version, which the Debian package has too

        Settings override appsettings.json and LABTELEMETRY_ environment variables, for example
          --Mqtt:Host=127.0.0.1 --Sensor:Kind=Simulated --Telemetry:Group=БАГ-18-01 --Telemetry:Students:0="Иванов И.И"
        Every key is in the configuration table of README.md.

        Exit codes: 0 ok, 1 failure, 64 usage error, 69 sensor or broker unavailable (once), 70 a loop of the
        service failed (systemd restarts it), 78 configuration error (not restarted).
        """;

    public static int Print()
    {
        Console.Out.WriteLine(Text);
        return Startup.ExitCodes.Ok;
    }
}
