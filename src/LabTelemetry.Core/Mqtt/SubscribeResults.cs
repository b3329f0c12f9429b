using MQTTnet;

namespace LabTelemetry.Core.Mqtt;

public static class SubscribeResults
{
    /// <summary>The code of the first (and, here, only) topic filter of a SUBACK, and whether the broker granted it.</summary>
    public static (MqttClientSubscribeResultCode Code, bool Granted) First(MqttClientSubscribeResult result)
    {
        var code = result.Items.Select(i => i.ResultCode).FirstOrDefault();
        return (code, code is MqttClientSubscribeResultCode.GrantedQoS0 or MqttClientSubscribeResultCode.GrantedQoS1 or MqttClientSubscribeResultCode.GrantedQoS2);
    }
}
