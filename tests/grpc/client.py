"""Calls the messages gRPC service the way a user's Python client does.

Usage: client.py ADDRESS METHOD [TOKEN] [TEXT]

Stubs are generated from proto/messages.proto with grpcio-tools into a
temporary directory. Prints one JSON object: the status code name, its
details, the trailing metadata (www-authenticate and the rest, lists of
values) and, on success, the reply.
"""

import json
import os
import sys
import tempfile

import grpc
from grpc_tools import protoc

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def stubs():
    out = tempfile.mkdtemp(prefix="tokenkind-grpc-")
    proto_dir = os.path.join(ROOT, "proto")
    include = os.path.join(os.path.dirname(protoc.__file__), "_proto")
    code = protoc.main(
        ["protoc", f"-I{proto_dir}", f"-I{include}", f"--python_out={out}", f"--grpc_python_out={out}", "messages.proto"]
    )
    if code != 0:
        raise SystemExit(f"grpc_tools.protoc failed: {code}")
    sys.path.insert(0, out)
    import messages_pb2  # noqa: E402
    import messages_pb2_grpc  # noqa: E402

    return messages_pb2, messages_pb2_grpc


def main():
    address, method = sys.argv[1], sys.argv[2]
    token = sys.argv[3] if len(sys.argv) > 3 and sys.argv[3] else None
    text = sys.argv[4] if len(sys.argv) > 4 else "hello"
    pb, pb_grpc = stubs()
    metadata = [("authorization", f"Bearer {token}")] if token else []
    with grpc.insecure_channel(address) as channel:
        stub = pb_grpc.MessagesStub(channel)
        call = {
            "List": lambda: stub.List.with_call(pb.ListRequest(), metadata=metadata, timeout=10),
            "Post": lambda: stub.Post.with_call(pb.PostRequest(text=text), metadata=metadata, timeout=10),
            "WhoAmI": lambda: stub.WhoAmI.with_call(pb.WhoAmIRequest(), metadata=metadata, timeout=10),
            "Admin": lambda: stub.Admin.with_call(pb.AdminRequest(), metadata=metadata, timeout=10),
            "DeleteAll": lambda: stub.DeleteAll.with_call(pb.DeleteAllRequest(), metadata=metadata, timeout=10),
        }[method]
        result = {}
        try:
            reply, rpc = call()
            result["code"] = rpc.code().name
            result["reply"] = json.loads(
                json.dumps({f.name: getattr(reply, f.name) for f in reply.DESCRIPTOR.fields}, default=str)
            )
            trailing = rpc.trailing_metadata() or ()
        except grpc.RpcError as error:
            result["code"] = error.code().name
            result["details"] = error.details()
            trailing = error.trailing_metadata() or ()
        grouped = {}
        for key, value in trailing:
            grouped.setdefault(key, []).append(value)
        result["metadata"] = grouped
    print(json.dumps(result))


if __name__ == "__main__":
    main()
