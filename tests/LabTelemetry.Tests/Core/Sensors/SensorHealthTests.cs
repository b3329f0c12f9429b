using LabTelemetry.Core.Sensors;

namespace LabTelemetry.Tests.Core.Sensors;

public class SensorHealthTests
{
    [Fact]
    public void ReportFault_SameFaultTwice_IsNewOnlyTheFirstTime()
    {
        var health = new SensorHealth();

        Assert.True(health.ReportFault(SensorFault.CrcError));
        Assert.False(health.ReportFault(SensorFault.CrcError));
        Assert.Equal(2, health.FailedReads);
    }

    [Fact]
    public void ReportFault_DifferentFault_IsNew()
    {
        var health = new SensorHealth();
        health.ReportFault(SensorFault.CrcError);

        Assert.True(health.ReportFault(SensorFault.Missing));
    }

    [Fact]
    public void ReportGood_AfterAFault_IsARecovery_AndResetsTheCount()
    {
        var health = new SensorHealth();
        health.ReportFault(SensorFault.Timeout);

        Assert.True(health.ReportGood());
        Assert.False(health.ReportGood());
        Assert.Equal(0, health.FailedReads);
        Assert.Null(health.Fault);
    }
}
