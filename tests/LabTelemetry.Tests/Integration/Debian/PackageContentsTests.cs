using System.Buffers.Binary;
using System.Diagnostics;
using LabTelemetry.Tests.Support;

namespace LabTelemetry.Tests.Integration.Debian;

/// <summary>
/// The packages deploy/package.sh makes, read with dpkg-deb as a Pi's dpkg reads them: their files, their control
/// fields and, for arm64 (which nothing here runs), that the executable is an aarch64 one. <c>.ci/run</c> names them in
/// <c>LABTELEMETRY_ARM64_PACKAGE</c> and <c>LABTELEMETRY_PACKAGE</c>; without them these skip.
/// </summary>
public sealed class PackageContentsTests
{
    // e_machine of the ELF header.
    private const int Aarch64 = 183;
    private const int X8664 = 62;

    [SkippableTheory]
    [InlineData("LABTELEMETRY_ARM64_PACKAGE", "arm64")]
    [InlineData("LABTELEMETRY_PACKAGE", "amd64")]
    public async Task Package_HoldsItsFilesWhereDebianPutsThem(string variable, string arch)
    {
        string package = Package(variable, arch);

        var contents = await DpkgDebAsync("-c", package);

        // dpkg-deb -c: mode, owner, size, date, time, path; size and time vary, the rest is the package's layout.
        string[] layout = [.. contents.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Select(fields => $"{fields[0]} {fields[1]} {fields[5]}")];
        Assert.Equal(
            [
                "drwxr-xr-x root/root ./",
                "drwxr-xr-x root/root ./etc/",
                "drwxr-xr-x root/root ./etc/labtelemetry/",
                "-rw-r--r-- root/root ./etc/labtelemetry/appsettings.json",
                "drwxr-xr-x root/root ./lib/",
                "drwxr-xr-x root/root ./lib/systemd/",
                "drwxr-xr-x root/root ./lib/systemd/system/",
                "-rw-r--r-- root/root ./lib/systemd/system/labtelemetry.service",
                "drwxr-xr-x root/root ./usr/",
                "drwxr-xr-x root/root ./usr/lib/",
                "drwxr-xr-x root/root ./usr/lib/labtelemetry/",
                "-rwxr-xr-x root/root ./usr/lib/labtelemetry/LabTelemetry.Worker",
                "-rw-r--r-- root/root ./usr/lib/labtelemetry/appsettings.json",
                "-rw-r--r-- root/root ./usr/lib/labtelemetry/libSystem.IO.Ports.Native.so",
                "drwxr-xr-x root/root ./usr/lib/labtelemetry/networkmanager/",
                "-rw-r--r-- root/root ./usr/lib/labtelemetry/networkmanager/lab-wifi.nmconnection",
                "-rwxr-xr-x root/root ./usr/lib/labtelemetry/networkmanager/wifi-provision.sh",
                "drwxr-xr-x root/root ./usr/lib/labtelemetry/systemd/",
                "-rw-r--r-- root/root ./usr/lib/labtelemetry/systemd/gpio.conf",
                "drwxr-xr-x root/root ./usr/share/",
                "drwxr-xr-x root/root ./usr/share/doc/",
                "drwxr-xr-x root/root ./usr/share/doc/labtelemetry/",
                "-rw-r--r-- root/root ./usr/share/doc/labtelemetry/README.md",
                "-rw-r--r-- root/root ./usr/share/doc/labtelemetry/changelog.gz",
                "-rw-r--r-- root/root ./usr/share/doc/labtelemetry/copyright",
            ],
            layout);
    }

    [SkippableTheory]
    [InlineData("LABTELEMETRY_ARM64_PACKAGE", "arm64")]
    [InlineData("LABTELEMETRY_PACKAGE", "amd64")]
    public async Task Package_IsTheVersionDirectoryBuildPropsSets_DependsOnLibcAndLibssl_AndHasOneConffile(string variable, string arch)
    {
        string package = Package(variable, arch);

        var fields = await DpkgDebAsync("-f", package, "Package", "Version", "Architecture", "Depends");
        var conffiles = await DpkgDebAsync("-I", package, "conffiles");

        Assert.Equal(
            $"""
            Package: labtelemetry
            Version: {RepositoryRoot.Version()}
            Architecture: {arch}
            Depends: libc6 (>= 2.34), libssl3 | libssl3t64, libgpiod2 | libgpiod3

            """,
            fields);
        Assert.Equal("/etc/labtelemetry/appsettings.json\n", conffiles);
    }

    [SkippableTheory]
    [InlineData("LABTELEMETRY_ARM64_PACKAGE", "arm64", Aarch64)]
    [InlineData("LABTELEMETRY_PACKAGE", "amd64", X8664)]
    public async Task Package_HoldsExecutablesForItsArchitecture(string variable, string arch, int machine)
    {
        string package = Package(variable, arch);
        using var extracted = new ScratchDirectory();

        await DpkgDebAsync("-x", package, extracted.Path);

        foreach (string binary in new[] { "LabTelemetry.Worker", "libSystem.IO.Ports.Native.so" })
        {
            byte[] header = new byte[20];
            await using (var file = File.OpenRead(Path.Combine(extracted.Path, "usr", "lib", "labtelemetry", binary)))
            {
                await file.ReadExactlyAsync(header);
            }

            // \x7fELF, 64-bit (class 2), little-endian (data 1), then e_machine at offset 18.
            Assert.Equal(new byte[] { 0x7F, (byte)'E', (byte)'L', (byte)'F', 2, 1 }, header[..6]);
            Assert.Equal(machine, BinaryPrimitives.ReadUInt16LittleEndian(header.AsSpan(18)));
        }
    }

    private static string Package(string variable, string arch)
    {
        string? package = Environment.GetEnvironmentVariable(variable);
        Skip.If(string.IsNullOrEmpty(package), $"{variable} is not set: .ci/run sets it to the package deploy/package.sh --arch {arch} makes");
        return package!;
    }

    private static async Task<string> DpkgDebAsync(params string[] args)
    {
        var start = new ProcessStartInfo("dpkg-deb", args) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        string error = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, $"dpkg-deb {string.Join(' ', args)}: {error}");
        return await output;
    }
}
