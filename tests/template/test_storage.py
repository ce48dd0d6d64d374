"""The application's bucket (planar_cfn/template/storage.py): the bucket and bucket
teardown rows of docs/stack.md's components table ("What the stack holds"), asserted
on the rendered templates; the emptier's handler is tested in test_bucket_emptier.py.

GIVEN the template of a stage, WHEN a component is read from it, THEN it holds
the values that page gives (per stage where the stage matters)."""

from tests.cfn import NO_VALUE, evaluate, props, resources_of_type
from tests.template.sample import SAMPLE

# The rows of docs/stack.md's components table these tests assert, and the tests
# that assert each (test_components.py checks the table against every file's rows).
COMPONENTS = {
    "bucket": (
        "test_bucket",
        "test_bucket_policy_denies_insecure_transport",
    ),
    "bucket teardown": ("test_bucket_teardown_per_stage",),
}


def test_bucket(template, stage):
    resource = template["Resources"]["AppBucket"]
    p = resource["Properties"]
    assert evaluate(p["BucketName"], SAMPLE) == f"planar-{stage}-shop-5f0c9a70"
    assert p["VersioningConfiguration"] == {"Status": "Enabled"}
    (rule,) = evaluate(
        p["BucketEncryption"]["ServerSideEncryptionConfiguration"],
        {},
        {"UseCustomerManagedKey": False},
    )
    assert rule["ServerSideEncryptionByDefault"] == {
        "SSEAlgorithm": "AES256"
    }  # unless the key switch is on
    assert p["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    # ACLs off and every object the bucket owner's, written out for older buckets too.
    assert p["OwnershipControls"] == {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}

    def cors(values):
        has = evaluate(template["Conditions"]["HasCorsOrigins"], {"CorsAllowedOrigins": values})
        return evaluate(
            p["CorsConfiguration"],
            {"CorsAllowedOrigins": values, "AWS::NoValue": NO_VALUE},
            {"HasCorsOrigins": has},
        )

    # No origins: no CORS rule at all; the "null" origin only when listed.
    assert cors("") is NO_VALUE
    (rule,) = cors("https://a.example.com,https://b.example.com")["CorsRules"]
    assert rule["AllowedMethods"] == ["GET"]
    assert rule["AllowedHeaders"] == ["*"]
    assert rule["MaxAge"] == 3000
    assert "ExposedHeaders" not in rule
    assert rule["AllowedOrigins"] == ["https://a.example.com", "https://b.example.com"]
    (listed,) = cors("null,https://a.example.com")["CorsRules"]
    assert listed["AllowedOrigins"] == ["null", "https://a.example.com"]


def test_bucket_policy_denies_insecure_transport(template):
    p = props(template, "AppBucketPolicy")
    assert p["Bucket"] == {"Ref": "AppBucket"}
    (statement,) = p["PolicyDocument"]["Statement"]
    assert statement["Sid"] == "DenyInsecureConnections"
    assert statement["Effect"] == "Deny"
    assert statement["Principal"] == "*"
    assert statement["Action"] == ["s3:*"]
    assert statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    resources = [evaluate(r, {"AppBucket.Arn": "arn:aws:s3:::b"}) for r in statement["Resource"]]
    assert resources == ["arn:aws:s3:::b", "arn:aws:s3:::b/*"]


def test_bucket_teardown_per_stage(template, stage):
    bucket = template["Resources"]["AppBucket"]
    assert bucket["UpdateReplacePolicy"] == "Retain"  # a replacement never loses objects
    emptier = template["Resources"].get("BucketEmptier")
    if stage == "prod":
        assert bucket["DeletionPolicy"] == "Retain"
        assert emptier is None
        # No emptier; the only function is the environment file's writer.
        assert list(resources_of_type(template, "AWS::Lambda::Function")) == [
            "EnvironmentFileFunction"
        ]
    else:
        assert bucket["DeletionPolicy"] == "Delete"
        assert emptier["Properties"]["BucketName"] == {"Ref": "AppBucket"}
        function = props(template, "BucketEmptierFunction")
        assert emptier["Properties"]["ServiceToken"] == {
            "Fn::GetAtt": ["BucketEmptierFunction", "Arn"]
        }
        assert "def handler(event, context)" in function["Code"]["ZipFile"]
        assert len(function["Code"]["ZipFile"]) <= 4096  # CloudFormation's inline code limit
